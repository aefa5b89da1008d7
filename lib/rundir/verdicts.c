/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdicts.jsonl: one line formatted and parsed, appended, read back. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "rundir.h"
#include "rundir_int.h"

void torn_verdict_rec_init(struct torn_verdict_rec *v)
{
	memset(v, 0, sizeof(*v));
	v->verdict = TORN_V_CONSISTENT;
	v->ms_restore = v->ms_check = v->at_ms = -1;
	v->coverage_new = v->ms_coverage = -1;
	v->attempts = 1;
	v->checker = -1;
}

/* ---- one line ----------------------------------------------------------- */

/* A string field of the record, never read past its buffer. */
static void put_field(struct torn_json_writer *w, const char *key,
		      const char *buf, size_t size)
{
	torn_json_write_key(w, key);
	torn_json_write_string(w, buf, strnlen(buf, size));
}

static void put_count(struct torn_json_writer *w, const char *key, int64_t v)
{
	torn_json_write_key(w, key);
	torn_json_write_int64(w, v);
}

char *torn_verdict_rec_format(const struct torn_verdict_rec *v, size_t *len)
{
	struct torn_json_writer *w;
	char *text, *line;
	size_t n;
	int o, ret;

	if (torn_json_writer_new(&w, 0))
		return NULL;
	/* the members and their order as torn check has always written them */
	torn_json_write_begin_object(w);
	put_field(w, "state", v->state, sizeof(v->state));
	torn_json_write_key(w, "point");
	torn_json_write_uint64(w, v->point);
	put_field(w, "engine", v->engine, sizeof(v->engine));
	torn_json_write_key(w, "index");
	torn_json_write_uint64(w, v->index);
	put_field(w, "image_hash", v->image_hash, sizeof(v->image_hash));
	put_field(w, "semantic_hash", v->semantic_hash,
		  sizeof(v->semantic_hash));
	torn_json_write_key(w, "verdict");
	torn_json_write_str(w, torn_verdict_name(v->verdict));
	if (v->known[0])
		put_field(w, "known", v->known, sizeof(v->known));
	torn_json_write_key(w, "failed");
	torn_json_write_begin_array(w);
	for (o = 0; o < TORN_O_COUNT; o++)
		if (v->oracles[o].ran && !v->oracles[o].ok)
			torn_json_write_str(w, torn_oracle_name(o));
	torn_json_write_end_array(w);
	torn_json_write_key(w, "oracles");
	torn_json_write_begin_object(w);
	for (o = 0; o < TORN_O_COUNT; o++) {
		const struct torn_oracle_result *r = &v->oracles[o];

		if (!r->ran)
			continue;
		torn_json_write_key(w, torn_oracle_name(o));
		torn_json_write_begin_object(w);
		torn_json_write_key(w, "ok");
		torn_json_write_bool(w, r->ok);
		if (r->detail[0])
			put_field(w, "detail", r->detail, sizeof(r->detail));
		torn_json_write_end_object(w);
	}
	torn_json_write_end_object(w);
	if (!v->no_markers) {
		torn_json_write_key(w, "markers");
		torn_json_write_begin_object(w);
		torn_json_write_key(w, "last_op_begin");
		torn_json_write_uint64(w, v->last_op_begin);
		torn_json_write_key(w, "last_op_end");
		torn_json_write_uint64(w, v->last_op_end);
		torn_json_write_key(w, "last_durable");
		torn_json_write_uint64(w, v->last_durable);
		torn_json_write_end_object(w);
	}
	if (v->error[0])
		put_field(w, "error", v->error, sizeof(v->error));
	if (v->ms_restore >= 0 || v->ms_check >= 0 || v->ms_coverage >= 0) {
		torn_json_write_key(w, "ms");
		torn_json_write_begin_object(w);
		if (v->ms_restore >= 0)
			put_count(w, "restore", v->ms_restore);
		if (v->ms_check >= 0)
			put_count(w, "check", v->ms_check);
		if (v->ms_coverage >= 0)
			put_count(w, "coverage", v->ms_coverage);
		torn_json_write_end_object(w);
	}
	if (v->coverage_new >= 0)
		put_count(w, "coverage_new", v->coverage_new);
	if (v->at_ms >= 0)
		put_count(w, "at_ms", v->at_ms);
	put_count(w, "attempts", v->attempts);
	if (v->checker >= 0)
		put_count(w, "checker", v->checker);
	torn_json_write_end_object(w);
	ret = torn_json_writer_take(w, &text, &n);
	torn_json_writer_free(w);
	if (ret) {
		errno = ret == -ENOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	line = realloc(text, n + 2);
	if (!line) {
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
}

/* A decimal number as the check writes them: no sign, no leading zero. */
static int parse_decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t u = 0;
	size_t i;

	if (!len || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || u > (UINT64_MAX - d) / 10)
			return -1;
		u = u * 10 + d;
	}
	*out = u;
	return 0;
}

/* "<point>.<engine>.<index>" (the engine may hold dots) into its parts. */
static int parse_state(const char *s, uint64_t *point, char *engine,
		       size_t size, uint64_t *index)
{
	const char *dot1 = strchr(s, '.'), *dot2 = strrchr(s, '.'), *p;

	if (!dot1 || dot1 == dot2 || dot2 == dot1 + 1 ||
	    (size_t)(dot2 - dot1 - 1) >= size ||
	    parse_decimal(s, (size_t)(dot1 - s), point) ||
	    parse_decimal(dot2 + 1, strlen(dot2 + 1), index))
		return -1;
	for (p = dot1 + 1; p < dot2; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return -1;
	memcpy(engine, dot1 + 1, (size_t)(dot2 - dot1 - 1));
	engine[dot2 - dot1 - 1] = '\0';
	return 0;
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/*
 * A name member (verdict, an element of failed) as one of names: its
 * index, or -1 with the reason in why.
 */
static int parse_name(const struct torn_json *s, int (*parse)(const char *),
		      const char *member, const char *what, char *why,
		      size_t whylen)
{
	char q[200];
	const char *str;
	size_t len;
	int i;

	str = torn_json_get_string(s, &len);
	if (!str) {
		snprintf(why, whylen, "member '%s': not a string", member);
		return -1;
	}
	i = strlen(str) == len ? parse(str) : -1;
	if (i < 0) {
		rundir_quote(str, len, q, sizeof(q));
		snprintf(why, whylen, "member '%s': unknown %s %s", member,
			 what, q);
	}
	return i;
}

static int parse_oracles(const struct torn_json *obj,
			 struct torn_verdict_rec *v, char *why, size_t whylen)
{
	const struct torn_json *oracles;
	char inner[240], q[200];
	size_t i;

	if (rundir_get_object(obj, "oracles", &oracles, why, whylen))
		return TORN_E_FORMAT;
	for (i = 0; i < torn_json_get_count(oracles); i++) {
		const char *key = torn_json_get_key_at(oracles, i);
		const struct torn_json *item = torn_json_get_at(oracles, i);
		struct torn_oracle_result *r;
		bool present;
		int o = torn_oracle_parse(key);

		rundir_quote(key, strlen(key), q, sizeof(q));
		if (o < 0) {
			snprintf(why, whylen,
				 "member 'oracles': unknown oracle %s", q);
			return TORN_E_FORMAT;
		}
		/* the first member named key must be this one */
		if (torn_json_get(oracles, key) != item) {
			snprintf(why, whylen,
				 torn_json_get(oracles, key)
					 ? "member 'oracles': oracle %s twice"
					 : "member 'oracles': a key holding a "
					   "NUL byte after %s",
				 q);
			return TORN_E_FORMAT;
		}
		r = &v->oracles[o];
		if (torn_json_get_type(item) != TORN_JSON_OBJECT) {
			snprintf(why, whylen,
				 "member 'oracles': %s is not an object", q);
			return TORN_E_FORMAT;
		}
		if (rundir_get_bool(item, "ok", &r->ok, &present, inner,
				    sizeof(inner)) ||
		    rundir_get_string(item, "detail", r->detail,
				      sizeof(r->detail), NULL, inner,
				      sizeof(inner))) {
			snprintf(why, whylen, "member 'oracles': %s: %s", q,
				 inner);
			return TORN_E_FORMAT;
		}
		if (!present) {
			snprintf(why, whylen, "member 'oracles': %s: no 'ok'",
				 q);
			return TORN_E_FORMAT;
		}
		r->ran = true;
	}
	return 0;
}

static int parse_failed(const struct torn_json *obj,
			const struct torn_verdict_rec *v, char *why,
			size_t whylen)
{
	const struct torn_json *failed = torn_json_get(obj, "failed");
	unsigned int said = 0, ran_failed = 0;
	size_t i;
	int o;

	if (!failed)
		return 0;
	if (torn_json_get_type(failed) != TORN_JSON_ARRAY) {
		snprintf(why, whylen, "member 'failed': not an array");
		return TORN_E_FORMAT;
	}
	for (i = 0; i < torn_json_get_count(failed); i++) {
		o = parse_name(torn_json_get_at(failed, i), torn_oracle_parse,
			       "failed", "oracle", why, whylen);
		if (o < 0)
			return TORN_E_FORMAT;
		if (said & TORN_O_BIT(o)) {
			snprintf(why, whylen, "member 'failed': '%s' twice",
				 torn_oracle_name(o));
			return TORN_E_FORMAT;
		}
		said |= TORN_O_BIT(o);
	}
	for (o = 0; o < TORN_O_COUNT; o++)
		if (v->oracles[o].ran && !v->oracles[o].ok)
			ran_failed |= TORN_O_BIT(o);
	if (said != ran_failed) {
		snprintf(
			why, whylen,
			"member 'failed': disagrees with the oracles' results");
		return TORN_E_FORMAT;
	}
	return 0;
}

static int parse_markers(const struct torn_json *obj,
			 struct torn_verdict_rec *v, char *why, size_t whylen)
{
	static const char *const keys[] = { "last_op_begin", "last_op_end",
					    "last_durable" };
	uint64_t *out[] = { &v->last_op_begin, &v->last_op_end,
			    &v->last_durable };
	const struct torn_json *markers;
	char inner[200];
	size_t i;

	if (rundir_get_object(obj, "markers", &markers, why, whylen))
		return TORN_E_FORMAT;
	if (!markers) {
		v->no_markers = true;
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool present;

		if (rundir_get_uint64(markers, keys[i], out[i], &present, inner,
				      sizeof(inner))) {
			snprintf(why, whylen, "member 'markers': %s", inner);
			return TORN_E_FORMAT;
		}
		if (!present) {
			snprintf(why, whylen, "member 'markers': no '%s'",
				 keys[i]);
			return TORN_E_FORMAT;
		}
	}
	return 0;
}

static int parse_times(const struct torn_json *obj, struct torn_verdict_rec *v,
		       char *why, size_t whylen)
{
	const struct torn_json *ms;
	char inner[200];
	int64_t n;

	if (rundir_get_object(obj, "ms", &ms, why, whylen))
		return TORN_E_FORMAT;
	if (rundir_get_count(ms, "restore", INT64_MAX, &v->ms_restore, NULL,
			     inner, sizeof(inner)) ||
	    rundir_get_count(ms, "check", INT64_MAX, &v->ms_check, NULL, inner,
			     sizeof(inner)) ||
	    rundir_get_count(ms, "coverage", INT64_MAX, &v->ms_coverage, NULL,
			     inner, sizeof(inner))) {
		snprintf(why, whylen, "member 'ms': %s", inner);
		return TORN_E_FORMAT;
	}
	if (rundir_get_count(obj, "at_ms", INT64_MAX, &v->at_ms, NULL, why,
			     whylen) ||
	    rundir_get_count(obj, "coverage_new", INT64_MAX, &v->coverage_new,
			     NULL, why, whylen))
		return TORN_E_FORMAT;
	n = v->attempts;
	if (rundir_get_count(obj, "attempts", INT_MAX, &n, NULL, why, whylen))
		return TORN_E_FORMAT;
	v->attempts = (int)n;
	n = v->checker;
	if (rundir_get_count(obj, "checker", INT_MAX, &n, NULL, why, whylen))
		return TORN_E_FORMAT;
	v->checker = (int)n;
	return 0;
}

/* The members that name the state: the id, and what repeats it. */
static int parse_id(const struct torn_json *obj, struct torn_verdict_rec *v,
		    char *why, size_t whylen)
{
	char engine[sizeof(v->engine)];
	uint64_t point, index, u;
	bool present;

	if (rundir_get_string(obj, "state", v->state, sizeof(v->state),
			      &present, why, whylen))
		return TORN_E_FORMAT;
	if (!present) {
		snprintf(why, whylen, "no member 'state'");
		return TORN_E_FORMAT;
	}
	if (parse_state(v->state, &point, v->engine, sizeof(v->engine),
			&index)) {
		char q[200];

		rundir_quote(v->state, strlen(v->state), q, sizeof(q));
		snprintf(why, whylen,
			 "member 'state': %s is not <point>.<engine>.<index>",
			 q);
		return TORN_E_FORMAT;
	}
	v->point = point;
	v->index = index;
	if (rundir_get_uint64(obj, "point", &u, &present, why, whylen))
		return TORN_E_FORMAT;
	if (present && u != point) {
		snprintf(why, whylen,
			 "member 'point': %" PRIu64 ", but the state is %s", u,
			 v->state);
		return TORN_E_FORMAT;
	}
	if (rundir_get_uint64(obj, "index", &u, &present, why, whylen))
		return TORN_E_FORMAT;
	if (present && u != index) {
		snprintf(why, whylen,
			 "member 'index': %" PRIu64 ", but the state is %s", u,
			 v->state);
		return TORN_E_FORMAT;
	}
	if (rundir_get_string(obj, "engine", engine, sizeof(engine), &present,
			      why, whylen))
		return TORN_E_FORMAT;
	if (present && strcmp(engine, v->engine)) {
		char q[200];

		rundir_quote(engine, strlen(engine), q, sizeof(q));
		snprintf(why, whylen,
			 "member 'engine': %s, but the state is %s", q,
			 v->state);
		return TORN_E_FORMAT;
	}
	return 0;
}

static int parse_verdict(const struct torn_json *obj,
			 struct torn_verdict_rec *v, char *why, size_t whylen)
{
	const struct torn_json *s;

	if (torn_json_get_type(obj) != TORN_JSON_OBJECT) {
		snprintf(why, whylen, "not a JSON object");
		return TORN_E_FORMAT;
	}
	if (parse_id(obj, v, why, whylen))
		return TORN_E_FORMAT;
	if (rundir_get_string(obj, "image_hash", v->image_hash,
			      sizeof(v->image_hash), NULL, why, whylen) ||
	    rundir_get_string(obj, "semantic_hash", v->semantic_hash,
			      sizeof(v->semantic_hash), NULL, why, whylen))
		return TORN_E_FORMAT;
	if ((v->image_hash[0] && strlen(v->image_hash) != 32) ||
	    !is_hex(v->image_hash)) {
		snprintf(why, whylen, "member 'image_hash': not 32 hex digits");
		return TORN_E_FORMAT;
	}
	if ((v->semantic_hash[0] && strlen(v->semantic_hash) != 64) ||
	    !is_hex(v->semantic_hash)) {
		snprintf(why, whylen,
			 "member 'semantic_hash': not 64 hex digits");
		return TORN_E_FORMAT;
	}
	s = torn_json_get(obj, "verdict");
	if (!s) {
		snprintf(why, whylen, "no member 'verdict'");
		return TORN_E_FORMAT;
	}
	v->verdict = parse_name(s, torn_verdict_parse, "verdict", "verdict",
				why, whylen);
	if (v->verdict < 0)
		return TORN_E_FORMAT;
	if (parse_oracles(obj, v, why, whylen) ||
	    parse_failed(obj, v, why, whylen) ||
	    parse_markers(obj, v, why, whylen) ||
	    rundir_get_string(obj, "error", v->error, sizeof(v->error), NULL,
			      why, whylen) ||
	    rundir_get_string(obj, "known", v->known, sizeof(v->known), NULL,
			      why, whylen) ||
	    parse_times(obj, v, why, whylen))
		return TORN_E_FORMAT;
	if (v->known[0] && !torn_verdict_flagged(v->verdict)) {
		snprintf(why, whylen,
			 "member 'known': a %s state is no known finding",
			 torn_verdict_name(v->verdict));
		return TORN_E_FORMAT;
	}
	return 0;
}

int torn_verdict_rec_parse(const char *line, size_t len,
			   struct torn_verdict_rec *v, struct torn_err *err)
{
	struct torn_err jerr = { "" };
	struct torn_json *obj = NULL;
	char why[400] = "";
	int ret;

	torn_verdict_rec_init(v);
	if (len > TORN_VERDICT_LINE_MAX)
		return torn_err_set(err, TORN_E_FORMAT, "longer than %u bytes",
				    TORN_VERDICT_LINE_MAX);
	ret = torn_json_parse(line, len, &obj, &jerr);
	if (ret == -ENOMEM)
		return torn_err_set(err, ret, "out of memory");
	if (ret)
		return torn_err_set(err, TORN_E_FORMAT, "not JSON: %s",
				    jerr.msg);
	ret = parse_verdict(obj, v, why, sizeof(why));
	torn_json_free(obj);
	if (ret) {
		torn_verdict_rec_init(v);
		return torn_err_set(err, ret, "%s", why);
	}
	return 0;
}

/* ---- the log ------------------------------------------------------------ */

struct torn_verdict_log {
	int fd;
	pthread_mutex_t lock;
};

int torn_verdict_log_open_fd(int fd, struct torn_verdict_log **out,
			     struct torn_err *err)
{
	struct torn_verdict_log *log;

	if (fd < 0)
		return torn_err_set(err, -EBADF, "no descriptor for the log");
	log = calloc(1, sizeof(*log));
	if (!log) {
		close(fd);
		return torn_err_set(err, -ENOMEM, "out of memory");
	}
	log->fd = fd;
	pthread_mutex_init(&log->lock, NULL);
	*out = log;
	return 0;
}

/*
 * A torn killed in the middle of a write() leaves a last line without its
 * '\n': cut it away before appending, so that the file is whole lines
 * again and the next verdict does not glue onto the fragment (the state
 * it belonged to has no verdict and is checked again).  0 or -1 (errno).
 */
static int cut_partial_tail(int fd, off_t size)
{
	char buf[4096];
	off_t end = size;

	while (end > 0) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		off_t start = end - (off_t)n;
		ssize_t got = pread(fd, buf, n, start);

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)n)
			return -1;
		if (end == size && buf[n - 1] == '\n')
			return 0; /* whole lines already */
		while (n && buf[n - 1] != '\n')
			n--;
		if (n)
			return ftruncate(fd, start + (off_t)n);
		end = start;
	}
	return ftruncate(fd, 0);
}

int torn_verdict_log_open(const char *dir, enum torn_verdict_log_mode mode,
			  struct torn_verdict_log **out, struct torn_err *err)
{
	char path[4200];
	struct stat st;
	int fd, ret;

	ret = torn_run_path(dir, TORN_RUN_VERDICTS, path, sizeof(path), err);
	if (ret)
		return ret;
	/* O_NONBLOCK until we know it is a regular file: no FIFO hangs us */
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK,
		  0644);
	if (fd < 0)
		return torn_err_set(err, -errno, "cannot open %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &st)) {
		ret = torn_err_set(err, -errno, "cannot open %s: %s", path,
				   strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: not a regular file",
				   path);
		goto out_close;
	}
	if ((mode == TORN_VLOG_TRUNCATE && ftruncate(fd, 0)) ||
	    (mode == TORN_VLOG_APPEND && cut_partial_tail(fd, st.st_size)) ||
	    fcntl(fd, F_SETFL, O_APPEND)) {
		ret = torn_err_set(err, -errno, "cannot open %s: %s", path,
				   strerror(errno));
		goto out_close;
	}
	return torn_verdict_log_open_fd(fd, out, err);
out_close:
	close(fd);
	return ret;
}

int torn_verdict_log_append(struct torn_verdict_log *log,
			    const struct torn_verdict_rec *v,
			    struct torn_err *err)
{
	size_t len, done = 0;
	char *line = torn_verdict_rec_format(v, &len);
	off_t start;
	int ret = 0;

	if (!line)
		return torn_err_set(err, errno == ENOMEM ? -ENOMEM : -EINVAL,
				    "cannot format the verdict of %s",
				    v->state);
	pthread_mutex_lock(&log->lock);
	start = lseek(log->fd, 0, SEEK_END);
	while (done < len) {
		ssize_t n = write(log->fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	/*
	 * A partial line would join the next one: take it back.  When that
	 * fails too, the reader still finds the whole verdict after it.
	 */
	if (ret && done && start >= 0 && ftruncate(log->fd, start)) {
	}
	pthread_mutex_unlock(&log->lock);
	free(line);
	if (ret)
		return torn_err_set(
			err, ret, "cannot append to " TORN_RUN_VERDICTS ": %s",
			strerror(-ret));
	return 0;
}

int torn_verdict_log_close(struct torn_verdict_log *log, struct torn_err *err)
{
	int ret = 0;

	if (!log)
		return 0;
	if (fsync(log->fd))
		ret = torn_err_set(err, -errno,
				   "cannot sync " TORN_RUN_VERDICTS ": %s",
				   strerror(errno));
	close(log->fd);
	pthread_mutex_destroy(&log->lock);
	free(log);
	return ret;
}

int torn_verdicts_backup(const char *dir, char *backup, size_t len,
			 struct torn_err *err)
{
	char path[4200], name[64];
	unsigned int n;
	int ret;

	ret = torn_run_path(dir, TORN_RUN_VERDICTS, path, sizeof(path), err);
	if (ret)
		return ret;
	for (n = 1; n < 100000; n++) {
		snprintf(name, sizeof(name), TORN_RUN_VERDICTS ".%u", n);
		ret = torn_run_path(dir, name, backup, len, err);
		if (ret)
			return ret;
		/* no replacing: an older backup is somebody's evidence too */
		if (!renameat2(AT_FDCWD, path, AT_FDCWD, backup,
			       RENAME_NOREPLACE))
			return 0;
		/* a filesystem without RENAME_NOREPLACE: look, then rename */
		if (errno == EINVAL) {
			if (!access(backup, F_OK))
				continue;
			if (errno == ENOENT && !rename(path, backup))
				return 0;
		}
		if (errno != EEXIST)
			break;
	}
	ret = errno == EEXIST ? -EEXIST : -errno;
	if (ret == -ENOENT)
		return torn_err_set(err, ret, "%s: missing", path);
	return torn_err_set(err, ret, "cannot rename %s: %s", path,
			    strerror(-ret));
}

/* ---- reading it back ---------------------------------------------------- */

struct reader {
	int (*fn)(const struct torn_verdict_rec *v, void *ctx);
	void *ctx;
	struct torn_verdicts_stats *st;
	struct torn_verdict_rec rec;
	char *line;
	size_t len, cap;
	bool too_long;
	uint64_t line_no;
};

static void unreadable(struct reader *rd, const char *why)
{
	struct torn_verdicts_stats *st = rd->st;

	st->unreadable++;
	if (st->first_bad_line)
		return;
	st->first_bad_line = rd->line_no;
	snprintf(st->first_bad, sizeof(st->first_bad),
		 TORN_RUN_VERDICTS " line %" PRIu64 ": %s", rd->line_no, why);
}

/* The verdict in s[0..len): 1 and fn's answer in *ret, or 0. */
static int try_line(struct reader *rd, const char *s, size_t len, int *ret,
		    struct torn_err *perr)
{
	if (torn_verdict_rec_parse(s, len, &rd->rec, perr))
		return 0;
	rd->rec.line = rd->line_no;
	rd->st->good++;
	*ret = rd->fn(&rd->rec, rd->ctx);
	return 1;
}

/* One line, its '\n' gone (last: there was none). */
static int line_done(struct reader *rd, bool last)
{
	static const char start[] = "{\"state\":";
	struct torn_err perr = { "" };
	const char *s = rd->line;
	size_t len = rd->len, i;
	int ret = 0;

	rd->line_no++;
	if (rd->too_long) {
		char why[64];

		rd->st->lines++;
		snprintf(why, sizeof(why), "longer than %u bytes",
			 TORN_VERDICT_LINE_MAX);
		unreadable(rd, why);
		return 0;
	}
	while (len &&
	       (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (!len)
		return 0;
	rd->st->lines++;
	if (try_line(rd, s, len, &ret, &perr))
		return ret;
	/*
	 * A check killed mid-write leaves a line without its newline, and
	 * check --resume appends the next verdict right after it: the cut
	 * verdict is lost, the whole one after it is not.
	 */
	for (i = len; i-- > 1;)
		if (len - i >= sizeof(start) - 1 &&
		    !memcmp(s + i, start, sizeof(start) - 1))
			break;
	if (i > 0) {
		struct torn_err tail_err = { "" };

		if (try_line(rd, s + i, len - i, &ret, &tail_err)) {
			unreadable(rd, "a verdict cut short, a whole one after "
				       "it (a check killed, then resumed)");
			return ret;
		}
	}
	if (last)
		rd->st->cut++;
	else
		unreadable(rd, perr.msg);
	return 0;
}

/* Append s[0..n) to the line being read, up to the longest kept. */
static int line_add(struct reader *rd, const char *s, size_t n)
{
	if (rd->too_long || !n)
		return 0;
	if (n > TORN_VERDICT_LINE_MAX - rd->len) {
		rd->too_long = true;
		return 0;
	}
	if (rd->len + n > rd->cap) {
		size_t cap = rd->cap ? rd->cap : 4096;
		char *p;

		while (cap < rd->len + n)
			cap *= 2;
		p = realloc(rd->line, cap);
		if (!p)
			return -ENOMEM;
		rd->line = p;
		rd->cap = cap;
	}
	memcpy(rd->line + rd->len, s, n);
	rd->len += n;
	return 0;
}

int torn_verdicts_foreach(
	const char *dir, int (*fn)(const struct torn_verdict_rec *v, void *ctx),
	void *ctx, struct torn_verdicts_stats *st, struct torn_err *err)
{
	struct torn_verdicts_stats local;
	struct reader *rd;
	char path[4200], *chunk;
	struct stat sb;
	int fd, ret;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	ret = rundir_open_regular(dir, TORN_RUN_VERDICTS, path, sizeof(path),
				  &fd, &sb, err);
	if (ret)
		return ret;
	rd = calloc(1, sizeof(*rd));
	chunk = malloc(1 << 16);
	if (!rd || !chunk) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto out_free;
	}
	rd->fn = fn;
	rd->ctx = ctx;
	rd->st = st;
	for (;;) {
		ssize_t n = read(fd, chunk, 1 << 16);
		const char *p = chunk, *end, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = torn_err_set(err, -errno,
					   "%s: read error after line %" PRIu64
					   ": %s",
					   path, rd->line_no, strerror(errno));
			break;
		}
		if (!n) {
			if (rd->len || rd->too_long)
				ret = line_done(rd, true);
			break;
		}
		end = chunk + n;
		while (!ret && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			ret = line_add(rd, p, (size_t)(nl - p));
			if (!ret)
				ret = line_done(rd, false);
			rd->len = 0;
			rd->too_long = false;
			p = nl + 1;
		}
		if (!ret)
			ret = line_add(rd, p, (size_t)(end - p));
		if (ret == -ENOMEM)
			torn_err_set(err, ret,
				     "%s: out of memory at line %" PRIu64, path,
				     rd->line_no + 1);
		if (ret)
			break;
	}
out_free:
	if (rd)
		free(rd->line);
	free(rd);
	free(chunk);
	close(fd);
	return ret;
}
