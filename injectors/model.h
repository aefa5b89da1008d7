/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistency models, crash points and engines: what a crash may leave. */
#ifndef TORN_MODEL_H
#define TORN_MODEL_H

/*
 * Theory.  Lines are 64 bytes, granules 8 bytes (naturally aligned
 * 8-byte stores are single-copy atomic).  Sources are the Intel 64 and
 * IA-32 Architectures Software Developer's Manual (SDM), cited by volume
 * and section or instruction-entry name, plus Intel's eADR paper.
 *
 * adr (ADR platform: the memory controller's write queue is persistent,
 * the CPU caches are not).  Per line, a list of in-flight stores in
 * program order; a prefix of that list is flush-initiated.
 *  - A cached store joins its line's list as pending: the line may be
 *    written back at any moment (eviction), or never.  SDM vol. 3A,
 *    "Memory Cache Control" > "Methods of Caching Available" (write-back).
 *  - clwb / clflushopt on L: every store pending on L at that moment is
 *    flush-initiated; it is persistent at the next ordering point.  Later
 *    stores to L are not covered.  SDM vol. 2, "CLFLUSHOPT—Flush Cache
 *    Line Optimized" (ordered with older writes to the line, not with
 *    younger ones; ordered by fences and locked instructions) and
 *    "CLWB—Cache Line Write Back" (ordered only by store-fencing
 *    operations: SFENCE, MFENCE, XCHG, LOCK-prefixed instructions).
 *  - clflush on L: L's in-flight stores up to its last cached one are
 *    persistent at once.  SDM vol. 2, "CLFLUSH—Flush Cache Line":
 *    ordered with writes, with other CLFLUSHes and with fences.  It does
 *    not drain write-combining buffers (only an ordering point does):
 *    non-temporal stores after L's last cached store stay in flight.
 *    Those before it are in that store's line content (a store to a
 *    line sees its own earlier non-temporal stores), so they persist
 *    with it.
 *  - Non-temporal stores (movnt*, movdir64b) are flush-initiated at once:
 *    they go around the cache through write-combining buffers that drain
 *    at the next fence.  If the line has pending cached stores they are
 *    flush-initiated with it: a non-temporal store to a cached line evicts
 *    it.  SDM vol. 1, "Caching of Temporal vs. Non-Temporal Data"; vol. 3A,
 *    "Buffering of Write Combining Memory Locations"; vol. 2, "MOVNTI".
 *  - Ordering points, where flush-initiated stores become persistent:
 *    sfence, mfence, LOCK-prefixed instructions, xchg with memory,
 *    serializing instructions.  SDM vol. 3A, "Memory Ordering in P6 and
 *    More Recent Processor Families", "Locked Atomic Operations",
 *    "Serializing Instructions"; vol. 2, "SFENCE", "MFENCE", "LOCK",
 *    "XCHG".
 *  - wbinvd: every in-flight store is persistent.  SDM vol. 2, "WBINVD".
 *  - At a crash, each line keeps its persisted content plus a prefix of
 *    its in-flight stores: a write-back is a snapshot of one moment.
 *    Torn granularity: each granule keeps a prefix of the stores that
 *    touch it.
 *
 * eadr (flush-on-fail: the caches are in the persistence domain; Intel,
 * "eADR: New Opportunities for Persistent Memory Applications", 2021).
 * A cached store is persistent once globally visible, and stores become
 * visible in program order (TSO, SDM vol. 3A "Memory Ordering in P6...").
 * Non-temporal stores still sit in write-combining buffers until a fence.
 *  - Every store since the last ordering point is in flight; every
 *    ordering point persists them all; flushes change nothing.
 *  - Cached stores persist as a global prefix in program order: they form
 *    one chain.  Non-temporal stores form chains of their own, per line
 *    (granule), beside it ("Chains" below).
 *  - Torn granularity splits stores at granule boundaries: a prefix of
 *    the cached chain may end inside a wide store, its lower granules
 *    first.
 *
 * What this model does not do, on purpose:
 *  - MARK records are not ordering points, although the guest emits them
 *    with cpuid (serializing): a marker must not hide a missing fence.
 *  - UNRESOLVED records (flushes whose address the tracer could not
 *    translate) cannot be applied; they are counted and reported.  Their
 *    lines stay in flight, which can only add states.
 *
 * Chains.  At a crash point the in-flight stores are grouped into chains;
 * a crash state picks a prefix length for each chain independently.
 * adr: one chain per line (line granularity) or per granule (torn).
 * eadr: one chain of all cached stores, one per line (granule) of the
 * non-temporal ones.  A store that crosses a line (granule) boundary is
 * split into one write per line (granule); writes are ordered by
 * program order and then address.
 *  - Non-temporal data sits in write-combining buffers, not in the cache
 *    line, so a line with in-flight cached and non-temporal stores
 *    splits: its non-temporal stores are a chain of their own beside its
 *    cached ones (adr: the line's chain; eadr: the cached chain).  So
 *    adr "store L+0; movnti L+8; sfence" can leave the NT data without
 *    the cached store (the head/body pattern of the kernel's
 *    __copy_user_flushcache), and eadr "movnti L+8; store L+0; store M"
 *    the later cached stores without the NT data.  adr at torn
 *    granularity needs no split: its chains are per granule already.
 *  - Writes to one granule persist in program order.  A granule that
 *    both parts touch (shared) holds, in a state, its content after the
 *    latest kept write that touches it, every earlier write to it
 *    included: a cached store after an NT store to its granule carries
 *    the NT data when it persists, as a line read back after the NT
 *    store does, and an NT store after a cached one overwrites it.  The
 *    shared granule is no one chain's: engines add its content to the
 *    state from the two prefixes (pt_shared in states_int.h).  The torn
 *    engine under eadr leaves shared granules as its base state has
 *    them.
 *
 * Crash points (before record r: the state after records 0..r-1), only
 * where something is in flight:
 *  fence      before each FENCE record (any kind), and before each
 *             clflush that persists writes (adr), the default.  Between
 *             fences only fences and those clflushes take writes out of
 *             flight, so every moment's in-flight writes are, chain by
 *             chain, a prefix of those at one of these points: with the
 *             full engine, fence points give every state any moment of
 *             the trace can leave.
 *  flush      before each FLUSH or UNRESOLVED record
 *  store:N    after every N-th STORE / NT_STORE record
 *  marker     before each MARK record
 *  all        before every record
 * and always at the end of the trace when something is still in flight.
 * A point with nothing in flight has one state, the persisted image,
 * the last prefix state of an earlier point, so it is not taken.  A
 * crash point is named
 * by r (its record index; the record count for the end), so its name does
 * not depend on --points.
 *
 * Engines, each enumerating states by an index 0..count-1 at a point:
 *  prefix       the first k writes in program order persist, k = 0..n
 *  subsets:K    every set of at most K chains persists whole (sets in
 *               order of size, then lexicographic by chain), others
 *               keep nothing (Chipmunk's bound)
 *  full[:CAP]   every combination of per-chain prefixes (mixed radix,
 *               chain 0 fastest) when there are at most CAP (default
 *               4096), else CAP seeded random combinations
 *  random:N[:SEED]  N combinations, each chain's prefix drawn uniformly
 *               from a counter-based generator of (seed, point, index),
 *               so any index can be rebuilt alone (default seed 0)
 *  torn         adr: for each in-flight line (first-write order) whose
 *               fully written content differs from its persisted content
 *               in k >= 2 granules, every non-empty strict subset of
 *               those granules, 2^k - 2 states: a write-back torn at
 *               granule boundaries, beyond what either granularity
 *               allows.  eadr: the caches persist, so a crash state is a
 *               prefix of each chain in program order, torn only inside
 *               the instruction at its cut: for each store's part within
 *               one line that changes k >= 2 granules (chain by chain,
 *               in chain order), the state where its chain's earlier
 *               writes persisted plus every non-empty strict subset of
 *               those granules.  An 8-byte store never tears.  A string
 *               instruction (rep movs / rep stos: STORE records flagged
 *               string with one pc, consecutive in the chain; SDM vol.
 *               3A, "Fast-String Operation and Out-of-Order Stores")
 *               may make its stores visible in any order: on the same
 *               base, each non-empty strict subset of its runs on one
 *               line (2^n - 2), or for n > 6 runs each run alone and all
 *               runs but one (2n); an instruction on one line tears as a
 *               store does.  Two string instructions at one pc with no
 *               other NVDIMM store between are taken for one, and so are
 *               all in a row in a trace without PCs: a few states the
 *               hardware cannot make.  adr needs no such rule: its
 *               lines persist independently already.
 * Chains are numbered in the order of their oldest in-flight write.
 *
 * Torn stores and their order.  The pieces of one wide or line-crossing
 * store persist lowest address first in a chain (prefix, full, random at
 * torn granularity): a 16-byte store at granules g0, g1 never shows g1
 * new with g0 old there.  The torn engine shows both orders within a
 * line (any subset of its granules); across two lines the lower line's
 * part comes first.  Real CPUs do not tear an aligned 16-byte SSE/AVX
 * store at all when they support AVX (SDM vol. 3A, "Guaranteed Atomic
 * Operations"); torn still tears it, since a program that relies on it
 * relies on the CPU model.
 */

#include <stdbool.h>
#include <stdint.h>

#include "torn_err.h"

enum torn_model_kind {
	TORN_MODEL_AUTO = 0, /* eadr if the trace header says so, else adr */
	TORN_MODEL_ADR = 1,
	TORN_MODEL_EADR = 2,
};

enum torn_granularity {
	TORN_GRAN_LINE = 1,
	TORN_GRAN_TORN = 2,
};

/* Crash point selection bits. */
#define TORN_POINTS_FENCE 0x01
#define TORN_POINTS_FLUSH 0x02
#define TORN_POINTS_STORE 0x04
#define TORN_POINTS_MARKER 0x08
#define TORN_POINTS_ALL 0x10

enum torn_engine_kind {
	TORN_ENGINE_PREFIX = 1,
	TORN_ENGINE_SUBSETS = 2,
	TORN_ENGINE_FULL = 3,
	TORN_ENGINE_RANDOM = 4,
	TORN_ENGINE_TORN = 5,
};

#define TORN_ENGINES_MAX 8
#define TORN_FULL_CAP_DEFAULT 4096

struct torn_engine {
	int kind; /* enum torn_engine_kind */
	uint64_t n; /* subsets: K; full: CAP; random: N */
	uint64_t seed; /* random, and full's fallback */
};

/* "adr" / "eadr"; on error fills err and returns TORN_E_USAGE. */
int torn_model_parse(const char *s, int *model, struct torn_err *err);
const char *torn_model_name(int model);

/* "line" / "torn". */
int torn_granularity_parse(const char *s, int *gran, struct torn_err *err);
const char *torn_granularity_name(int gran);

/*
 * A comma-separated list of crash point kinds, e.g. "fence,store:100";
 * sets *points (TORN_POINTS_* bits) and *store_every (N of store:N, else
 * left alone).
 */
int torn_points_parse(const char *s, unsigned int *points,
		      uint64_t *store_every, struct torn_err *err);

/* One engine: "prefix", "subsets:2", "full", "full:100", "random:50:7". */
int torn_engine_parse(const char *s, struct torn_engine *e,
		      struct torn_err *err);

/*
 * The engine's canonical name, as in state ids: every parameter written
 * out ("full:4096", "random:50:0").  Returns what snprintf returns.
 */
int torn_engine_format(const struct torn_engine *e, char *buf, size_t size);

#endif
