/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-derived crash states of tiny traces, one table row per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "states.h"
#include "trace.h"

#define PM 0x1000
#define HDR "header pm_size=0x1000\n"
#define HDR_EADR "header pm_size=0x1000 features=clwb,eadr\n"
#define MAX_EXPECT 24

/*
 * Expected content is a list of labels applied, in the order given, to
 * the all-zero base: "A" is the first STORE/NT_STORE record of the trace
 * whole, "B" the second...; "A:7" is the part of store A inside granule 7
 * (bytes 56..63).  "" is the base itself.
 */
struct expect {
	const char *id;
	const char *content;
};

struct model_case {
	const char *name;
	const char *trace;
	const char *engines; /* comma-separated */
	const char *points; /* NULL: fence */
	const char *model; /* NULL: from the header */
	const char *gran; /* NULL: line */
	int no_dedup;
	struct expect states[MAX_EXPECT]; /* up to the first NULL id */
};

static const struct model_case cases[] = {
	{
		/*
		 * A and B on lines 0 and 1, both clwb'd, one sfence.  At
		 * the crash point before the sfence (record 4) both are
		 * in flight, one chain each.  prefix: k = 0, 1, 2 stores
		 * in program order: {}, {A}, {A,B}.  Nothing is in flight
		 * after the sfence, so there is no end point.
		 */
		"two lines, one epoch, prefix",
		HDR "store 0x0 8 *aa\n"
		    "store 0x40 8 *bb\n"
		    "flush clwb 0x0\n"
		    "flush clwb 0x40\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "4.prefix.0", "" },
		  { "4.prefix.1", "A" },
		  { "4.prefix.2", "A B" } },
	},
	{
		/*
		 * subsets:2 over chains (A's line, B's line): size 0 {},
		 * size 1 {A} {B}, size 2 {A,B}: {B} is the reordering
		 * prefix never shows.
		 */
		"two lines, one epoch, subsets:2",
		HDR "store 0x0 8 *aa\n"
		    "store 0x40 8 *bb\n"
		    "flush clwb 0x0\n"
		    "flush clwb 0x40\n"
		    "fence sfence\n",
		"subsets:2",
		NULL,
		NULL,
		NULL,
		0,
		{ { "4.subsets:2.0", "" },
		  { "4.subsets:2.1", "A" },
		  { "4.subsets:2.2", "B" },
		  { "4.subsets:2.3", "A B" } },
	},
	{
		/* Both engines: subsets adds only {B}; the rest are dups. */
		"two lines, prefix then subsets:2, dedup",
		HDR "store 0x0 8 *aa\n"
		    "store 0x40 8 *bb\n"
		    "flush clwb 0x0\n"
		    "flush clwb 0x40\n"
		    "fence sfence\n",
		"prefix,subsets:2",
		NULL,
		NULL,
		NULL,
		0,
		{ { "4.prefix.0", "" },
		  { "4.prefix.1", "A" },
		  { "4.prefix.2", "A B" },
		  { "4.subsets:2.2", "B" } },
	},
	{
		/*
		 * B goes to A's line after the clwb: before the first
		 * sfence the line holds [A flush-initiated, B pending]:
		 * {}, {A}, {A,B}.  The sfence persists A only, so before
		 * the second sfence (record 4) the line holds [B] over a
		 * persisted A: {A}, {A,B}; and the same at the end (5).
		 */
		"store after clwb to the same line",
		HDR "store 0x0 8 *aa\n"
		    "flush clwb 0x0\n"
		    "store 0x8 8 *bb\n"
		    "fence sfence\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "4.prefix.0", "A" },
		  { "4.prefix.1", "A B" },
		  { "5.prefix.0", "A" },
		  { "5.prefix.1", "A B" } },
	},
	{
		/*
		 * clflush persists A at once, so the moment before it is
		 * a crash point of its own (1): {}, {A}.  Before the
		 * sfence only B (pending) is in flight, over a persisted
		 * A: {A}, {A,B}.  B is never flushed: the end point (4)
		 * repeats both.
		 */
		"clflush persists at once",
		HDR "store 0x0 8 *aa\n"
		    "flush clflush 0x0\n"
		    "store 0x40 8 *bb\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "3.prefix.0", "A" },
		  { "3.prefix.1", "A B" },
		  { "4.prefix.0", "A" },
		  { "4.prefix.1", "A B" } },
	},
	{
		/*
		 * clflushopt only flush-initiates A: before the sfence A
		 * and B are both in flight: {}, {A}, {A,B}.  After it A is
		 * persistent and B still pending: the end point (4) gives
		 * {A}, {A,B}, both seen already.
		 */
		"clflushopt waits for the fence",
		HDR "store 0x0 8 *aa\n"
		    "flush clflushopt 0x0\n"
		    "store 0x40 8 *bb\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" } },
	},
	{
		/*
		 * An NT store is flush-initiated at once: {}, {A} before
		 * the first sfence, persistent after it, so the second
		 * sfence has nothing in flight and no end point follows.
		 */
		"NT store then fence",
		HDR "nt_store 0x0 8 *aa\n"
		    "fence sfence\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "1.prefix.0", "" }, { "1.prefix.1", "A" } },
	},
	{
		/*
		 * A cached store with no flush stays in flight across
		 * fences: points 1, 2 and the end (3) each give {}, {A}.
		 */
		"cached store without flush stays in flight",
		HDR "store 0x0 8 *aa\n"
		    "fence sfence\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "3.prefix.0", "" },
		  { "3.prefix.1", "A" } },
	},
	{
		/*
		 * An NT store to a line with a pending cached store
		 * flush-initiates it too: the sfence persists both.
		 */
		"NT store takes the line's pending stores along",
		HDR "store 0x0 8 *aa\n"
		    "nt_store 0x8 8 *bb\n"
		    "fence sfence\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" } },
	},
	{
		/*
		 * eadr: cached stores A, B, C (three lines) form one
		 * chain, so states are global prefixes; subsets:2 and
		 * full see one chain and add nothing: never {B} or {A,C}.
		 */
		"eadr prefixes",
		HDR_EADR "store 0x0 8 *aa\n"
			 "store 0x40 8 *bb\n"
			 "store 0x80 8 *cc\n"
			 "fence sfence\n",
		"prefix,subsets:2,full",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "3.prefix.3", "A B C" } },
	},
	{
		/*
		 * eadr with an NT store B on its own line: chains are the
		 * cached chain [A, C] (chain 0) and [B] (chain 1).  full,
		 * index = p0 + 3 * p1: 0 {}, 1 {A}, 2 {A,C}, 3 {B},
		 * 4 {A,B}, 5 {A,B,C}; prefix gave 0, 1, 4, 5 already.
		 * Never {C} without A.
		 */
		"eadr NT store is its own chain",
		HDR_EADR "store 0x0 8 *aa\n"
			 "nt_store 0x40 8 *bb\n"
			 "store 0x80 8 *cc\n"
			 "fence sfence\n",
		"prefix,full",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "3.prefix.3", "A B C" },
		  { "3.full:4096.2", "A C" },
		  { "3.full:4096.3", "B" } },
	},
	{
		/*
		 * Issue 18, case 2 (adr): NT data sits in a write-
		 * combining buffer, not in the cache line, so NT store B
		 * forms a chain of its own beside the line's cached
		 * chain [A] (chain 0): full, index = p0 + 2 * p1: 0 {},
		 * 1 {A}, 2 {B}: NT data persisted, cached store lost
		 * (the head/body pattern of __copy_user_flushcache).
		 */
		"NT store and cached store to one line: two chains",
		HDR "store 0x0 8 *aa\n"
		    "nt_store 0x8 8 *bb\n"
		    "fence sfence\n",
		"full",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.full:4096.0", "" },
		  { "2.full:4096.1", "A" },
		  { "2.full:4096.2", "B" },
		  { "2.full:4096.3", "A B" } },
	},
	{
		/*
		 * Issue 18, case 2 (eadr): NT store A to line 0 is chain
		 * 0, the cached chain [B (line 0), C (line 1)] chain 1:
		 * index = p0 + 2 * p1.  4 {B,C}: later cached stores
		 * persisted, NT data lost.  Never {C} without B.
		 */
		"eadr NT store lags later cached stores",
		HDR_EADR "nt_store 0x8 8 *aa\n"
			 "store 0x0 8 *bb\n"
			 "store 0x40 8 *cc\n"
			 "fence sfence\n",
		"full",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.full:4096.0", "" },
		  { "3.full:4096.1", "A" },
		  { "3.full:4096.2", "B" },
		  { "3.full:4096.3", "A B" },
		  { "3.full:4096.4", "B C" },
		  { "3.full:4096.5", "A B C" } },
	},
	{
		/*
		 * A granule both chains touch takes the latest write of
		 * the kept prefixes (writes to one granule persist in
		 * program order).  Cached chain [A (granule 0), C
		 * (granule 1)] is chain 0, NT chain [B (granule 0)]
		 * chain 1: index = p0 + 3 * p1.  2 {A,C}: granule 0
		 * holds A, not the B that C's line snapshot saw; 3 {B};
		 * 4 is {A,B} = B's content, a duplicate of 3; 5 all.
		 */
		"NT store and cached store to one granule",
		HDR "store 0x0 8 *aa\n"
		    "nt_store 0x0 8 *bb\n"
		    "store 0x8 8 *cc\n"
		    "fence sfence\n",
		"full",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.full:4096.0", "" },
		  { "3.full:4096.1", "A" },
		  { "3.full:4096.2", "A C" },
		  { "3.full:4096.3", "B" },
		  { "3.full:4096.5", "A B C" } },
	},
	{
		/*
		 * Issue 18, case 1: commit (A) and data (B) stored, both
		 * clflushed, one sfence.  The sfence has nothing in flight
		 * left; the clflushes are the crash points (2, 3).  2.1 is
		 * the bug: the commit persisted, its data lost.  At 3 the
		 * data is persistent, the commit in flight.
		 */
		"clflush points: commit before its data",
		HDR "store 0x40 8 *cc\n"
		    "store 0x0 8 *dd\n"
		    "flush clflush 0x0\n"
		    "flush clflush 0x40\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" },
		  { "3.prefix.0", "B" } },
	},
	{
		/*
		 * Issue 18, case 3: a clflush does not drain the write-
		 * combining buffer.  NT store A on line 0 stays in flight
		 * through clflush 0x0 (not a crash point: it persists
		 * nothing); B is clflushed (crash point 3: {}, {A},
		 * {A,B}); before the sfence (4) B is persistent and A in
		 * flight: {B}, the state where B persisted and A did not
		 * ({A,B} again is a duplicate).
		 */
		"clflush leaves NT stores in flight",
		HDR "nt_store 0x0 8 *aa\n"
		    "flush clflush 0x0\n"
		    "store 0x40 8 *bb\n"
		    "flush clflush 0x40\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "4.prefix.0", "B" } },
	},
	{
		/*
		 * Issue 18, case 6: on eadr a crash state is a prefix of
		 * the stores, torn only inside the store at its cut.  A
		 * (data) and B (flag) are 8-byte stores, one granule each:
		 * nothing to tear, so torn adds no state, and flag set
		 * with data lost ("B") never appears.
		 */
		"eadr torn keeps store order",
		HDR_EADR "store 0x0 8 *aa\n"
			 "store 0x8 8 *bb\n"
			 "fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" } },
	},
	{
		/*
		 * eadr: B, a 16-byte store after A, tears at the cut: A
		 * persisted, then one of B's two granules.  Torn at line
		 * granularity too (the engine splits the store itself).
		 * A itself is one granule: nothing to tear there.
		 */
		"eadr torn tears the store at the cut",
		HDR_EADR "store 0x40 8 *aa\n"
			 "store 0x0 16 *bb\n"
			 "fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" },
		  { "2.torn.0", "A B:0" },
		  { "2.torn.1", "A B:1" } },
	},
	{
		/* The same at torn granularity, B's granules overlaid. */
		"eadr torn at torn granularity",
		HDR_EADR "store 0x0 8 *aa\n"
			 "store 0x0 16 *bb\n"
			 "fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		"torn",
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "B:0" },
		  { "2.prefix.3", "B" },
		  { "2.torn.1", "A B:1" } },
	},
	{
		/*
		 * Issue 18, case 4: on eadr the stores of one string
		 * instruction (rep movs of [payload | valid]: A, B, C on
		 * lines 0, 1, 2) may persist out of order.  torn takes the
		 * state before the instruction and every strict non-empty
		 * subset of its lines: {B} {C} {A,C} {B,C} are new, {C} is
		 * the valid byte without its payload.
		 */
		"eadr string instruction out of order",
		HDR_EADR "store 0x0 8 *aa pc=0x100 string\n"
			 "store 0x40 8 *bb pc=0x100 string\n"
			 "store 0x80 8 *cc pc=0x100 string\n"
			 "fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "3.prefix.3", "A B C" },
		  { "3.torn.1", "B" },
		  { "3.torn.3", "C" },
		  { "3.torn.4", "A C" },
		  { "3.torn.5", "B C" } },
	},
	{
		/* The same stores, no string flag: in order, nothing torn. */
		"eadr plain stores in order",
		HDR_EADR "store 0x0 8 *aa pc=0x100\n"
			 "store 0x40 8 *bb pc=0x100\n"
			 "store 0x80 8 *cc pc=0x100\n"
			 "fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		NULL,
		0,
		{ { "3.prefix.0", "" },
		  { "3.prefix.1", "A" },
		  { "3.prefix.2", "A B" },
		  { "3.prefix.3", "A B C" } },
	},
	{
		/*
		 * A string op of 7 lines: each line alone (torn.0-6), then
		 * every line but one (torn.7-13), not all 126 subsets.
		 * Index 0 is {A}, 7 all but A, 13 all but G.
		 */
		"eadr string instruction of 7 lines: pairs",
		HDR_EADR "store 0x0 8 *aa pc=0x100 string\n"
			 "store 0x40 8 *bb pc=0x100 string\n"
			 "store 0x80 8 *cc pc=0x100 string\n"
			 "store 0xc0 8 *dd pc=0x100 string\n"
			 "store 0x100 8 *ee pc=0x100 string\n"
			 "store 0x140 8 *ff pc=0x100 string\n"
			 "store 0x180 8 *11 pc=0x100 string\n"
			 "fence sfence\n",
		"torn",
		NULL,
		NULL,
		NULL,
		1,
		{ { "7.torn.0", "A" },
		  { "7.torn.1", "B" },
		  { "7.torn.2", "C" },
		  { "7.torn.3", "D" },
		  { "7.torn.4", "E" },
		  { "7.torn.5", "F" },
		  { "7.torn.6", "G" },
		  { "7.torn.7", "B C D E F G" },
		  { "7.torn.8", "A C D E F G" },
		  { "7.torn.9", "A B D E F G" },
		  { "7.torn.10", "A B C E F G" },
		  { "7.torn.11", "A B C D F G" },
		  { "7.torn.12", "A B C D E G" },
		  { "7.torn.13", "A B C D E F" } },
	},
	{
		/* eadr ignores flushes: clflush does not persist A. */
		"eadr ignores clflush",
		HDR_EADR "store 0x0 8 *aa\n"
			 "flush clflush 0x0\n"
			 "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" }, { "2.prefix.1", "A" } },
	},
	{
		/*
		 * One 64-byte store whose granules 0, 3 and 7 differ from
		 * the (zero) base: the torn engine gives the 2^3 - 2 = 6
		 * strict non-empty subsets of {0,3,7}, bit b of index + 1
		 * choosing the b-th changed granule: {0} {3} {0,3} {7}
		 * {0,7} {3,7}.  The end point (2) repeats them all.
		 */
		"torn granules of one 64-byte line",
		HDR
		"store 0x0 64 "
		"1111111111111111000000000000000000000000000000003333333333333333"
		"0000000000000000000000000000000000000000000000007777777777777777\n"
		"fence sfence\n",
		"prefix,torn",
		NULL,
		NULL,
		NULL,
		0,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "1.torn.0", "A:0" },
		  { "1.torn.1", "A:3" },
		  { "1.torn.2", "A:0 A:3" },
		  { "1.torn.3", "A:7" },
		  { "1.torn.4", "A:0 A:7" },
		  { "1.torn.5", "A:3 A:7" } },
	},
	{
		/*
		 * Torn granularity: A covers granules 0-1, B granule 1.
		 * Chains: g0 [A:0], g1 [A:1, B].  prefix over the writes
		 * A:0, A:1, B: {}, {A:0}, {A}, {A,B}.  full, index =
		 * p0 + 2 * p1: 2 is {A:1}, 4 is {A:1,B} = {B} (B covers
		 * granule 1), the others repeat prefix states.
		 */
		"torn granularity",
		HDR "store 0x0 16 *aa\n"
		    "store 0x8 8 *bb\n"
		    "fence sfence\n",
		"prefix,full",
		NULL,
		NULL,
		"torn",
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A:0" },
		  { "2.prefix.2", "A" },
		  { "2.prefix.3", "A B" },
		  { "2.full:4096.2", "A:1" },
		  { "2.full:4096.4", "B" } },
	},
	{
		/* The same trace at line granularity: [A, B] on one line. */
		"line granularity keeps a line's order",
		HDR "store 0x0 16 *aa\n"
		    "store 0x8 8 *bb\n"
		    "fence sfence\n",
		"prefix,full",
		NULL,
		NULL,
		"line",
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" } },
	},
	{
		/*
		 * The sfence at record 2 has nothing in flight (clflush
		 * persisted A): no crash point there, but one before the
		 * clflush (1): {}, {A} from each engine.  Before record
		 * 5: {A} persisted, B in flight: {A}, {A,B}.
		 */
		"fence with nothing in flight",
		HDR "store 0x0 8 *aa\n"
		    "flush clflush 0x0\n"
		    "fence sfence\n"
		    "store 0x40 8 *bb\n"
		    "flush clwb 0x40\n"
		    "fence sfence\n",
		"prefix,subsets:2,full,torn",
		NULL,
		NULL,
		NULL,
		1,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "1.subsets:2.0", "" },
		  { "1.subsets:2.1", "A" },
		  { "1.full:4096.0", "" },
		  { "1.full:4096.1", "A" },
		  { "5.prefix.0", "A" },
		  { "5.prefix.1", "A B" },
		  { "5.subsets:2.0", "A" },
		  { "5.subsets:2.1", "A B" },
		  { "5.full:4096.0", "A" },
		  { "5.full:4096.1", "A B" } },
	},
	{
		/*
		 * A store across the line boundary splits into A:7 (line
		 * 0) and A:8 (line 1); only line 0 is flushed.  Before the
		 * sfence: {}, {A:7}, {A}; after it A:7 is persistent and
		 * A:8 pending: the end point (3) repeats {A:7} and {A}.
		 */
		"store across a line boundary",
		HDR "store 0x3c 8 *aa\n"
		    "flush clwb 0x0\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A:7" },
		  { "2.prefix.2", "A" } },
	},
	{
		/* wbinvd persists everything, flushed or not. */
		"wbinvd persists all",
		HDR "store 0x0 8 *aa\n"
		    "store 0x40 8 *bb\n"
		    "fence wbinvd\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" } },
	},
	{
		/* A locked instruction is an ordering point. */
		"locked instruction orders clwb",
		HDR "store 0x0 8 *aa\n"
		    "flush clwb 0x0\n"
		    "fence locked\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "2.prefix.0", "" }, { "2.prefix.1", "A" } },
	},
	{
		/*
		 * A marker is not an ordering point: A is still in flight
		 * at the sfence, and the marker is no crash point under
		 * the default --points fence.
		 */
		"marker does not order",
		HDR "store 0x0 8 *aa\n"
		    "flush clwb 0x0\n"
		    "mark 16 0\n"
		    "fence sfence\n",
		"prefix",
		NULL,
		NULL,
		NULL,
		1,
		{ { "3.prefix.0", "" }, { "3.prefix.1", "A" } },
	},
	{
		/* --points marker: before the marker (1), A in flight. */
		"marker points",
		HDR "store 0x0 8 *aa\n"
		    "mark 16 0\n"
		    "flush clwb 0x0\n"
		    "fence sfence\n",
		"prefix",
		"marker",
		NULL,
		NULL,
		1,
		{ { "1.prefix.0", "" }, { "1.prefix.1", "A" } },
	},
	{
		/*
		 * --points marker with nothing in flight: A persisted at the
		 * sfence, and the marker after it is still a point (4), the
		 * persisted image alone, so that what a program acknowledged
		 * there is judged even when it never reached the NVDIMM (a
		 * page cache without DAX).  torn check keeps it apart from
		 * the same image before the marker (the context key); the
		 * enumerator's own image dedup, off here, would not.
		 */
		"marker points with nothing in flight",
		HDR "store 0x0 8 *aa\n"
		    "flush clwb 0x0\n"
		    "fence sfence\n"
		    "mark 16 0\n",
		"prefix",
		"fence,marker",
		NULL,
		NULL,
		1,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "3.prefix.0", "A" } },
	},
	{
		/*
		 * --points store:2: after the second store (before record
		 * 2): {}, {A}, {A,B}.  Nothing is flushed, so the end
		 * point (4) has A, B, C in flight: only {A,B,C} is new.
		 */
		"store:2 points",
		HDR "store 0x0 8 *aa\n"
		    "store 0x40 8 *bb\n"
		    "store 0x80 8 *cc\n"
		    "fence sfence\n",
		"prefix",
		"store:2",
		NULL,
		NULL,
		0,
		{ { "2.prefix.0", "" },
		  { "2.prefix.1", "A" },
		  { "2.prefix.2", "A B" },
		  { "4.prefix.3", "A B C" } },
	},
	{
		/*
		 * --points flush: before the clwb (1) A is in flight;
		 * before the second clwb (3) A (flush-initiated) and B:
		 * {}, {A}, {A,B}; the sfence is not a chosen point.
		 */
		"flush points",
		HDR "store 0x0 8 *aa\n"
		    "flush clwb 0x0\n"
		    "store 0x40 8 *bb\n"
		    "flush clwb 0x40\n"
		    "fence sfence\n",
		"prefix",
		"flush",
		NULL,
		NULL,
		0,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "3.prefix.2", "A B" } },
	},
	{
		/* --model adr overrides an eadr header: clflush counts. */
		"model option overrides the header",
		HDR_EADR "store 0x0 8 *aa\n"
			 "flush clflush 0x0\n"
			 "store 0x40 8 *bb\n"
			 "fence sfence\n",
		"prefix",
		NULL,
		"adr",
		NULL,
		0,
		{ { "1.prefix.0", "" },
		  { "1.prefix.1", "A" },
		  { "3.prefix.1", "A B" } },
	},
};

/* Store records of t, in order: label A is stores[0]. */
static const struct torn_record *nth_store(const struct torn_trace *t, int n)
{
	const struct torn_record *r = torn_trace_get_records(t);
	size_t i, count = torn_trace_get_count(t);

	for (i = 0; i < count; i++)
		if (r[i].kind == TORN_REC_STORE ||
		    r[i].kind == TORN_REC_NT_STORE)
			if (n-- == 0)
				return &r[i];
	return NULL;
}

static void expected_image(const struct torn_trace *t, const char *content,
			   uint8_t *img)
{
	const char *p = content;

	memset(img, 0, PM);
	while (*p) {
		const struct torn_record *r;
		uint64_t i, lo, hi;
		char *end;

		if (*p == ' ') {
			p++;
			continue;
		}
		r = nth_store(t, *p - 'A');
		assert_non_null(r);
		lo = r->offset;
		hi = r->offset + r->size;
		p++;
		if (*p == ':') {
			uint64_t g = strtoull(p + 1, &end, 10);

			p = end;
			if (lo < g * 8)
				lo = g * 8;
			if (hi > g * 8 + 8)
				hi = g * 8 + 8;
			assert_true(lo < hi);
		}
		for (i = lo; i < hi; i++)
			img[i] = r->data[i - r->offset];
	}
}

static void set_engines(struct torn_states_opts *o, const char *list)
{
	char buf[256], *tok, *save = NULL;
	struct torn_err err;

	snprintf(buf, sizeof(buf), "%s", list);
	o->n_engines = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		assert_int_equal(torn_engine_parse(tok,
						   &o->engines[o->n_engines++],
						   &err),
				 0);
}

static void run_case(const struct model_case *c, unsigned int threads)
{
	static uint8_t persisted[PM], img[PM], want[PM], mat[PM];
	struct torn_states_opts o;
	struct torn_state_set *set = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state st;
	struct torn_states *s;
	struct torn_trace *t;
	struct torn_hash128 h;
	struct torn_err err;
	size_t n = 0, i;
	char id[96];
	int ret;

	print_message("case: %s (%u thread%s)\n", c->name, threads,
		      threads > 1 ? "s" : "");
	ret = torn_trace_parse_text(c->trace, &t, &err);
	if (ret)
		print_error("%s\n", err.msg);
	assert_int_equal(ret, 0);
	torn_states_opts_init(&o);
	set_engines(&o, c->engines);
	if (c->points)
		assert_int_equal(torn_points_parse(c->points, &o.points,
						   &o.store_every, &err),
				 0);
	if (c->model)
		assert_int_equal(torn_model_parse(c->model, &o.model, &err), 0);
	if (c->gran)
		assert_int_equal(
			torn_granularity_parse(c->gran, &o.granularity, &err),
			0);
	o.threads = threads;
	if (!c->no_dedup) {
		assert_int_equal(torn_state_set_new(&set), 0);
		o.dedup = set;
	}
	assert_int_equal(torn_states_new(&s, t, NULL, PM, &o, &err), 0);
	memset(persisted, 0, PM);
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		for (i = 0; i < pt.n_changed; i++)
			memcpy(persisted + pt.changed[i].line * 64,
			       pt.changed[i].data, 64);
		torn_image_hash(NULL, persisted, PM, &h);
		assert_true(torn_hash_eq(&h, &pt.persisted_hash));
		while ((ret = torn_states_next_state(s, &st)) == 1) {
			torn_state_id_format(&st, id, sizeof(id));
			print_message("  %s\n", id);
			assert_true(n < MAX_EXPECT);
			assert_non_null(c->states[n].id);
			assert_string_equal(id, c->states[n].id);
			memcpy(img, persisted, PM);
			torn_state_apply(&st, img);
			expected_image(t, c->states[n].content, want);
			assert_memory_equal(img, want, PM);
			torn_image_hash(NULL, img, PM, &h);
			assert_true(torn_hash_eq(&h, &st.hash));
			assert_int_equal(!!(st.flags & TORN_STATE_F_PERSISTED),
					 !memcmp(img, persisted, PM));
			assert_int_equal(torn_state_image(t, NULL, PM, &o, id,
							  mat, &h, &err),
					 0);
			assert_memory_equal(mat, want, PM);
			assert_true(torn_hash_eq(&h, &st.hash));
			n++;
		}
		assert_int_equal(ret, 0);
	}
	assert_int_equal(ret, 0);
	assert_true(n == MAX_EXPECT || !c->states[n].id);
	torn_states_free(s);
	torn_state_set_free(set);
	torn_trace_free(t);
}

static void test_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], 1);
		run_case(&cases[i], 2);
	}
}

/* UNRESOLVED records are counted, never applied. */
static void test_unresolved(void **state)
{
	const char *text = HDR "store 0x0 8 *aa\n"
			       "unresolved clwb va=0x7f0000000000\n"
			       "fence sfence\n"
			       "unresolved clflush va=0x7f0000000040\n"
			       "fence sfence\n";
	struct torn_states_opts o;
	struct torn_crash_point pt;
	struct torn_states_stats stats;
	struct torn_states *s;
	struct torn_trace *t;
	struct torn_err err;
	uint64_t seen[4];
	int n = 0;

	assert_int_equal(torn_trace_parse_text(text, &t, &err), 0);
	torn_states_opts_init(&o);
	assert_int_equal(torn_states_new(&s, t, NULL, PM, &o, &err), 0);
	while (torn_states_next_point(s, &pt) == 1) {
		assert_true(n < 4);
		seen[n++] = pt.unresolved;
		assert_int_equal(pt.inflight_writes, 1);
	}
	/* Points before records 2, 4 and the end (5): A stays pending. */
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 2);
	torn_states_get_stats(s, &stats);
	assert_int_equal(stats.unresolved, 2);
	torn_states_free(s);
	torn_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_unresolved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
