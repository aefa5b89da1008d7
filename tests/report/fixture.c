/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic run directories for the report tests (fixture.h). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "states.h"
#include "trace.h"

const char *const fixture_oracles[7] = { "mount",      "fsck",	    "dmesg",
					 "durability", "atomicity", "usability",
					 "custom" };

/* Three crash points: two fences and the end of the trace. */
static const char fixture_trace[] =
	"header pm_base=0x100000000 pm_size=0x10000 "
	"features=clflush,clflushopt,clwb flags=pc\n"
	"mark 1 0 \"START\"\n"
	"mark 3 1 \"creat ./a\"\n"
	"store 0x1000 8 0101010101010101 pc=0xffffffff81000010 kernel\n"
	"store 0x1040 8 0202020202020202 pc=0xffffffff81000020 kernel\n"
	"store 0x1080 8 0303030303030303 pc=0xffffffff81000030 kernel\n"
	"flush clwb 0x1000 pc=0xffffffff81000040 kernel\n"
	"flush clwb 0x1040 pc=0xffffffff81000040 kernel\n"
	"flush clwb 0x1080 pc=0xffffffff81000040 kernel\n"
	"fence sfence pc=0xffffffff81000050 kernel\n"
	"mark 4 1\n"
	"mark 3 2 \"write ./a <b>&amp;</b> \\x1b[31mred\"\n"
	"store 0x2000 64 *ab pc=0x401000\n"
	"nt_store 0x3000 8 0405060708090a0b pc=0x401010\n"
	"store 0x2040 8 0c0c0c0c0c0c0c0c pc=0x401020\n"
	"flush clwb 0x2000 pc=0x401030\n"
	"fence sfence pc=0x401040\n"
	"mark 5 2 \"fsync ./a\"\n"
	"mark 4 2\n"
	"store 0x4000 8 0d0d0d0d0d0d0d0d pc=0x401050\n"
	"mark 2 0 \"STOP\"\n";

static int write_file(const char *dir, const char *name, const void *data,
		      size_t len)
{
	char *p = g_build_filename(dir, name, NULL);
	int ok = g_file_set_contents(p, data, (gssize)len, NULL);

	g_free(p);
	return ok ? 0 : -1;
}

/* dir (made) with trace.torn of the text trace, also into *t. 0 or -1. */
static int save_trace(const char *dir, const char *text, struct torn_trace **t)
{
	struct torn_err err = { "" };
	char *path;
	int ret;

	if (g_mkdir_with_parents(dir, 0755) ||
	    torn_trace_parse_text(text, t, &err))
		return -1;
	path = g_build_filename(dir, "trace.torn", NULL);
	ret = torn_trace_save(*t, path);
	g_free(path);
	return ret ? -1 : 0;
}

enum kind {
	K_OK,
	K_DURABILITY,
	K_ATOMICITY,
	K_UNRECOVERABLE,
	K_TIMEOUT,
	K_ERROR
};

/* JSON string body of s, escaped as torn check always wrote it (old files). */
static void json_str(GString *g, const char *s, size_t len)
{
	size_t i;

	g_string_append_c(g, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			g_string_append_printf(g, "\\%c", c);
		else if (c < 0x20)
			g_string_append_printf(g, "\\u%04x", c);
		else
			g_string_append_c(g, (char)c);
	}
	g_string_append_c(g, '"');
}

/* Append one verdict as torn check writes it; returns its semantic hash. */
static const char *verdict_line(GString *g, const char *id, uint64_t point,
				const char *engine, uint64_t index,
				const struct torn_hash128 *h, enum kind kind,
				uint64_t k, struct fixture_expect *exp)
{
	static const char *const verdicts[] = { "consistent",	"inconsistent",
						"inconsistent", "unrecoverable",
						"timeout",	"error" };
	/* markup, escape sequences, bytes that are not UTF-8 */
	static const char durability[] = "./a: expected f 0644 1 4096 9a3f, "
					 "found absent " FIXTURE_HOSTILE_SCRIPT
					 " \x1b[2J\x1b]0;pwned\x07 ]]> &amp;";
	static const char atomicity[] =
		"op 2: neither before nor after " FIXTURE_HOSTILE_ATTR
		" \xff\xfe\xc0\xaf end";
	static const char mount[] = "mount: wrong fs type \x01\x7f\x9b[1m";
	const char *semantic;
	int o, v;

	v = kind == K_OK	      ? TORN_V_CONSISTENT
	    : kind == K_UNRECOVERABLE ? TORN_V_UNRECOVERABLE
	    : kind == K_TIMEOUT	      ? TORN_V_TIMEOUT
	    : kind == K_ERROR	      ? TORN_V_ERROR
				      : TORN_V_INCONSISTENT;
	semantic = kind == K_OK ? (k % 2 ? "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
					   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
					 : "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		   : kind == K_TIMEOUT || kind == K_ERROR
			   ? ""
			   : "ccccccccccccccccccccccccccccccccccccccccccccccccc"
			     "ccccccccccccccc";
	g_string_append_printf(
		g,
		"{\"state\":\"%s\",\"point\":%" PRIu64
		",\"engine\":\"%s\",\"index\":%" PRIu64
		",\"image_hash\":\"%016" PRIx64 "%016" PRIx64
		"\",\"semantic_hash\":\"%s\",\"verdict\":\"%s\",\"failed\":[",
		id, point, engine, index, h->hi, h->lo, semantic,
		verdicts[kind]);
	if (kind == K_DURABILITY)
		g_string_append(g, "\"durability\"");
	else if (kind == K_ATOMICITY)
		g_string_append(g, "\"durability\",\"atomicity\"");
	else if (kind == K_UNRECOVERABLE)
		g_string_append(g, "\"mount\"");
	g_string_append(g, "],\"oracles\":{");
	if (kind == K_UNRECOVERABLE) {
		g_string_append(g, "\"mount\":{\"ok\":false,\"detail\":");
		json_str(g, mount, sizeof(mount) - 1);
		g_string_append(g, "}");
		exp->oracle_failed[0]++;
	} else if (kind != K_TIMEOUT && kind != K_ERROR) {
		for (o = 0; o < 6; o++) {
			bool bad = (o == 3 && kind != K_OK) ||
				   (o == 4 && kind == K_ATOMICITY);

			g_string_append_printf(g, "%s\"%s\":{\"ok\":%s",
					       o ? "," : "", fixture_oracles[o],
					       bad ? "false" : "true");
			if (bad && o == 3) {
				g_string_append(g, ",\"detail\":");
				json_str(g, durability, sizeof(durability) - 1);
			} else if (bad) {
				g_string_append(g, ",\"detail\":");
				json_str(g, atomicity, sizeof(atomicity) - 1);
			}
			g_string_append(g, "}");
			exp->oracle_failed[o] += bad;
		}
	}
	g_string_append_printf(g,
			       "},\"markers\":{\"last_op_begin\":%d,\"last_op_"
			       "end\":%d,\"last_durable\":%d}",
			       point < 10 ? 1 : 2, point < 10 ? 0 : 1,
			       point < 20 ? 0 : 2);
	if (kind == K_TIMEOUT)
		g_string_append(g, ",\"error\":\"the checker did not answer "
				   "within 60 s, twice\"");
	if (kind == K_ERROR)
		g_string_append(g, ",\"error\":\"guest sent a malformed reply: "
				   "\\u001b[0m<i>x</i>\"");
	g_string_append_printf(
		g,
		",\"ms\":{\"restore\":%" PRIu64 ",\"check\":%" PRIu64
		"},\"attempts\":%d,\"checker\":%" PRIu64 "}\n",
		10 + k % 3, 100 + k, kind == K_TIMEOUT ? 2 : 1, k % 2);
	exp->restore_ms += 10 + k % 3;
	exp->check_ms += 100 + k;
	exp->states++;
	exp->lines++;
	exp->by_verdict[v]++;
	return semantic;
}

struct fixture_state {
	char id[64];
	uint64_t point, index;
	char engine[32];
	struct torn_hash128 hash;
	unsigned int nth; /* among the unique states of its point */
};

int fixture_make(const char *dir, bool failing, struct fixture_expect *exp)
{
	return fixture_make_gran(dir, failing, TORN_GRAN_LINE, exp);
}

int fixture_make_gran(const char *dir, bool failing, int granularity,
		      struct fixture_expect *exp)
{
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	struct torn_states_opts o;
	struct torn_state_set *seen = NULL, *images = NULL;
	const struct torn_record *recs;
	uint64_t pos = 0, nmarks = 0;
	struct torn_states *s = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	struct torn_states_stats st;
	GArray *states = g_array_new(FALSE, TRUE, sizeof(struct fixture_state));
	GString *v = g_string_new(NULL);
	GHashTable *sem = g_hash_table_new(g_str_hash, g_str_equal);
	uint8_t *base = NULL;
	uint64_t pm_size, last_point = UINT64_MAX, points = 0, first_point;
	uint64_t last_failing = UINT64_MAX;
	unsigned int nth = 0;
	char *meta;
	int ret = -1;
	guint i;

	memset(exp, 0, sizeof(*exp));
	if (save_trace(dir, fixture_trace, &t))
		goto out;
	exp->records = torn_trace_get_count(t);
	recs = torn_trace_get_records(t);
	pm_size = torn_trace_get_header(t)->pm_size;
	base = g_malloc0(pm_size);
	memset(base + 0x8000, 0x5a, 4096); /* not all zeros */
	if (write_file(dir, "base.img", base, pm_size))
		goto out;
	meta = g_strdup_printf(
		"{\n  \"fs\": \"ext4-dax\",\n  \"flush_mode\": \"clwb\",\n"
		"  \"workload\": \"fixture-%s\",\n  \"kernel\": "
		"\"6.1.0-test\",\n"
		"  \"boot_ms\": 1234,\n  \"workload_ms\": 56,\n"
		"  \"pm_base\": 4294967296,\n  \"pm_size\": %" PRIu64 "\n}\n",
		failing ? "bad" : "ok", pm_size);
	ret = write_file(dir, "meta.json", meta, strlen(meta));
	g_free(meta);
	if (ret)
		goto out;
	ret = -1;

	/*
	 * The unique states, as torn check enumerates them: a state is new
	 * unless one with the same image and the same markers before its
	 * crash point came earlier.
	 */
	torn_states_opts_init(&o);
	o.granularity = granularity;
	if (torn_state_set_new(&seen) || torn_state_set_new(&images))
		goto out;
	if (torn_states_new(&s, t, base, pm_size, &o, &err))
		goto out;
	while (torn_states_next_point(s, &pt) == 1) {
		for (; pos < pt.seq && pos < exp->records; pos++)
			nmarks += recs[pos].kind == TORN_REC_MARK;
		while (torn_states_next_state(s, &cs) == 1) {
			struct fixture_state fs = { .point = cs.point,
						    .index = cs.index,
						    .hash = cs.hash };
			struct torn_hash128 key =
				torn_state_context_key(cs.hash, nmarks);

			if (torn_state_set_add(seen, &key) != 1)
				continue;
			exp->unique_images +=
				torn_state_set_add(images, &cs.hash) == 1;
			if (cs.point != last_point) {
				last_point = cs.point;
				nth = 0;
				points++;
			}
			fs.nth = nth++;
			torn_engine_format(cs.engine, fs.engine,
					   sizeof(fs.engine));
			torn_state_id_format(&cs, fs.id, sizeof(fs.id));
			g_array_append_val(states, fs);
		}
	}
	torn_states_get_stats(s, &st);
	exp->generated = st.states;
	exp->unique = states->len;
	exp->points_checked = points;
	if (!states->len)
		goto out;

	first_point = g_array_index(states, struct fixture_state, 0).point;
	for (i = 0; i < states->len; i++) {
		struct fixture_state *fs =
			&g_array_index(states, struct fixture_state, i);
		enum kind kind = K_OK;
		const char *sh;

		/* past the first point: a few of each kind of failure */
		if (!failing || fs->point == first_point)
			kind = K_OK;
		else if (i + 1 == states->len)
			kind = K_TIMEOUT;
		else if (i + 2 == states->len)
			kind = K_ERROR;
		else if (fs->nth >= 1 && fs->nth <= 3)
			kind = fs->nth == 1   ? K_DURABILITY
			       : fs->nth == 2 ? K_ATOMICITY
					      : K_UNRECOVERABLE;
		if (kind == K_DURABILITY && !exp->failing_id[0])
			snprintf(exp->failing_id, sizeof(exp->failing_id), "%s",
				 fs->id);
		if (kind == K_UNRECOVERABLE && !exp->unrecoverable_id[0])
			snprintf(exp->unrecoverable_id,
				 sizeof(exp->unrecoverable_id), "%s", fs->id);
		if (kind != K_OK && fs->point != last_failing) {
			last_failing = fs->point;
			exp->failing_points++;
		}
		if (failing && i == 1) {
			/* a verdict cut short by a killed check, then resumed
			 */
			g_string_append(
				v,
				"{\"state\":\"1.prefix.0\",\"point\":1,\"eng");
			exp->bad_lines++;
		}
		sh = verdict_line(v, fs->id, fs->point, fs->engine, fs->index,
				  &fs->hash, kind, i, exp);
		if (*sh)
			g_hash_table_add(sem, (gpointer)sh);
		if (failing && i == 2) {
			static const char *const junk[] = {
				"not json at all",
				"{\"state\":\"../../"
				"etc.prefix.0\",\"verdict\":\"consistent\"}",
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"fine\"}",
				"{\"state\":\"0.prefix.00\",\"verdict\":"
				"\"consistent\"}",
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"consistent\",\"ms\":{\"check\":1e999}}",
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"consistent\",\"failed\":\"mount\"}",
				"{\"state\":\"0.prefix.0\",\"point\":7,"
				"\"verdict\":\"consistent\"}",
				"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
				"[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
				"]]]]]]]]]]]]]]]",
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"consistent\"",
				/* C strings in lib/rundir: a NUL does not fit
				 */
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"error\",\"error\":\"a\\u0000b\"}",
				/* an oracle torn_verdict.h does not name */
				"{\"state\":\"0.prefix.0\",\"verdict\":"
				"\"consistent\",\"oracles\":{\"bogus\":{"
				"\"ok\":true}}}",
			};
			size_t j;

			g_string_append(v, "\n   \n");
			for (j = 0; j < G_N_ELEMENTS(junk); j++) {
				g_string_append_printf(v, "%s\n", junk[j]);
				exp->bad_lines++;
				exp->lines++;
			}
		}
	}
	if (failing && states->len > 3) {
		/* a duplicate of the first verdict: resumed twice */
		const char *nl = strchr(v->str, '\n');
		char *first = g_strndup(v->str, (gsize)(nl - v->str + 1));

		g_string_append(v, first);
		g_free(first);
		exp->duplicates++;
		exp->lines++;
	}
	exp->unique_semantic = g_hash_table_size(sem);
	if (write_file(dir, "verdicts.jsonl", v->str, v->len))
		goto out;
	ret = 0;
out:
	if (ret && err.msg[0])
		fprintf(stderr, "fixture: %s\n", err.msg);
	torn_states_free(s);
	torn_state_set_free(seen);
	torn_state_set_free(images);
	torn_trace_free(t);
	g_free(base);
	g_array_free(states, TRUE);
	g_string_free(v, TRUE);
	g_hash_table_destroy(sem);
	return ret;
}

int fixture_make_empty(const char *dir)
{
	static const char text[] = "header pm_size=0x1000\n"
				   "mark 1 0\n"
				   "mark 2 0\n";
	static const char meta[] =
		"{\n  \"fs\": \"devdax\",\n  \"flush_mode\": \"clflush\",\n"
		"  \"workload\": \"fixture-empty\",\n  \"pm_size\": 4096\n}\n";
	static const char check[] =
		"{\n  \"model\": \"adr\",\n  \"granularity\": \"line\",\n"
		"  \"points\": \"fence\",\n"
		"  \"engines\": \"prefix,subsets:1\"\n}\n";
	struct torn_trace *t = NULL;
	uint8_t zero[4096] = { 0 };
	int ret;

	ret = save_trace(dir, text, &t);
	if (!ret)
		ret = write_file(dir, "base.img", zero, sizeof(zero)) ||
		      write_file(dir, "meta.json", meta, strlen(meta)) ||
		      write_file(dir, "check.json", check, strlen(check)) ||
		      write_file(dir, "verdicts.jsonl", "", 0);
	torn_trace_free(t);
	return ret ? -1 : 0;
}
