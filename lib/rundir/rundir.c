/* SPDX-License-Identifier: GPL-2.0-or-later */
/* meta.json and check.json, and the helpers the run directory shares. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "rundir.h"
#include "rundir_int.h"

/* meta.json and check.json are a few KB; anything this big is not one. */
#define RUN_FILE_MAX (1u << 20)

int torn_run_path(const char *dir, const char *name, char *buf, size_t len,
		  struct torn_err *err)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return torn_err_set(err, TORN_E_RANGE,
				    "path of %s in '%.200s' longer than %zu "
				    "bytes",
				    name, dir, len ? len - 1 : 0);
	return 0;
}

const char *torn_run_stage(const char *dir, char *buf, size_t len)
{
	if (torn_run_path(dir, TORN_RUN_STAGE, buf, len, NULL))
		return NULL;
	return access(buf, F_OK) ? NULL : buf;
}

/* ---- strict members ----------------------------------------------------- */

void rundir_quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	if (!size)
		return;
#define PUTC(c)                         \
	do {                            \
		if (o + 1 < size)       \
			buf[o++] = (c); \
	} while (0)
	PUTC('\'');
	for (i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			PUTC((char)c);
		} else if (o + 5 < size) {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < len) {
		PUTC('.');
		PUTC('.');
		PUTC('.');
	}
	PUTC('\'');
#undef PUTC
	buf[o] = '\0';
}

static const struct torn_json *member(const struct torn_json *obj,
				      const char *key, bool *present)
{
	const struct torn_json *m = torn_json_get(obj, key);

	if (present)
		*present = m != NULL;
	return m;
}

static int bad(char *why, size_t whylen, const char *key, const char *what)
{
	snprintf(why, whylen, "member '%s': %s", key, what);
	return TORN_E_FORMAT;
}

int rundir_get_string(const struct torn_json *obj, const char *key, char *buf,
		      size_t size, bool *present, char *why, size_t whylen)
{
	const struct torn_json *m = member(obj, key, present);
	const char *s;
	char what[64];
	size_t len;

	if (!m)
		return 0;
	s = torn_json_get_string(m, &len);
	if (!s)
		return bad(why, whylen, key, "not a string");
	if (memchr(s, '\0', len))
		return bad(why, whylen, key, "holds a NUL byte");
	if (len >= size) {
		snprintf(what, sizeof(what), "longer than %zu bytes", size - 1);
		return bad(why, whylen, key, what);
	}
	memcpy(buf, s, len + 1);
	return 0;
}

int rundir_get_uint64(const struct torn_json *obj, const char *key,
		      uint64_t *out, bool *present, char *why, size_t whylen)
{
	const struct torn_json *m = member(obj, key, present);

	if (m && torn_json_get_uint64(m, out))
		return bad(why, whylen, key, "not an integer from 0 to 2^64-1");
	return 0;
}

int rundir_get_count(const struct torn_json *obj, const char *key, int64_t max,
		     int64_t *out, bool *present, char *why, size_t whylen)
{
	const struct torn_json *m = member(obj, key, present);
	char what[64];
	int64_t v;

	if (!m)
		return 0;
	if (torn_json_get_int64(m, &v))
		return bad(why, whylen, key, "not an integer");
	if (v < 0)
		return bad(why, whylen, key, "negative");
	if (v > max) {
		snprintf(what, sizeof(what), "more than %" PRId64, max);
		return bad(why, whylen, key, what);
	}
	*out = v;
	return 0;
}

int rundir_get_bool(const struct torn_json *obj, const char *key, bool *out,
		    bool *present, char *why, size_t whylen)
{
	const struct torn_json *m = member(obj, key, present);

	if (m && torn_json_get_bool(m, out))
		return bad(why, whylen, key, "not true or false");
	return 0;
}

int rundir_get_object(const struct torn_json *obj, const char *key,
		      const struct torn_json **out, char *why, size_t whylen)
{
	*out = member(obj, key, NULL);
	if (*out && torn_json_get_type(*out) != TORN_JSON_OBJECT)
		return bad(why, whylen, key, "not an object");
	return 0;
}

/* ---- whole files -------------------------------------------------------- */

int rundir_open_regular(const char *dir, const char *name, char *path,
			size_t pathlen, int *fd, struct stat *st,
			struct torn_err *err)
{
	int ret = torn_run_path(dir, name, path, pathlen, err);

	if (ret)
		return ret;
	/* O_NONBLOCK: a FIFO put there must not hang us */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0) {
		ret = -errno;
		return torn_err_set(err, ret, "%s: %s", path,
				    ret == -ENOENT ? "missing"
						   : strerror(-ret));
	}
	if (fstat(*fd, st))
		ret = torn_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	else if (!S_ISREG(st->st_mode))
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: not a regular file",
				   path);
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

/*
 * DIR/NAME parsed into *out, which must be an object.  -ENOENT (and
 * other -errno) with "path: why"; TORN_E_FORMAT for what is not a
 * small regular file holding one JSON object.
 */
static int read_object(const char *dir, const char *name,
		       struct torn_json **out, struct torn_err *err)
{
	struct torn_err jerr = { "" };
	char path[4200];
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	ret = rundir_open_regular(dir, name, path, sizeof(path), &fd, &st, err);
	if (ret)
		return ret;
	if ((uint64_t)st.st_size > RUN_FILE_MAX) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "%s: %jd bytes, more than %u", path,
				   (intmax_t)st.st_size, RUN_FILE_MAX);
		goto out_close;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = torn_err_set(err, -ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	/* read to the end, whatever fstat said: the file may change size */
	for (;;) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = torn_err_set(err, -errno, "%s: %s", path,
					   strerror(errno));
			goto out_free;
		}
		if (!n)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			ret = torn_err_set(err, TORN_E_FORMAT,
					   "%s: grew while being read", path);
			goto out_free;
		}
	}
	ret = torn_json_parse(text, len, out, &jerr);
	if (ret) {
		torn_err_set(err, ret == -ENOMEM ? ret : TORN_E_FORMAT,
			     "%s: %s", path, jerr.msg);
		ret = ret == -ENOMEM ? ret : TORN_E_FORMAT;
		goto out_free;
	}
	if (torn_json_get_type(*out) != TORN_JSON_OBJECT) {
		torn_json_free(*out);
		*out = NULL;
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: not a JSON object",
				   path);
	}
out_free:
	free(text);
out_close:
	close(fd);
	return ret;
}

/* data into DIR/NAME through a temporary file renamed over it. */
static int write_atomic(const char *dir, const char *name, const char *data,
			size_t len, struct torn_err *err)
{
	char path[4200], tmp[4200];
	size_t done = 0;
	int fd, ret;

	ret = torn_run_path(dir, name, path, sizeof(path), err);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	    (int)sizeof(tmp))
		return torn_err_set(err, TORN_E_RANGE,
				    "path of %s in '%.200s' too long", name,
				    dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return torn_err_set(err, -errno, "cannot create %s: %s", tmp,
				    strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			torn_err_set(err, ret, "cannot write %s: %s", tmp,
				     strerror(-ret));
			goto out_unlink;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0644) || fsync(fd)) {
		ret = torn_err_set(err, -errno, "cannot write %s: %s", tmp,
				   strerror(errno));
		goto out_unlink;
	}
	if (close(fd)) {
		fd = -1;
		ret = torn_err_set(err, -errno, "cannot write %s: %s", tmp,
				   strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path)) {
		ret = torn_err_set(err, -errno, "cannot rename %s to %s: %s",
				   tmp, path, strerror(errno));
		goto out_unlink;
	}
	return 0;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

/* The writer's text into DIR/NAME. */
static int write_json(const char *dir, const char *name,
		      struct torn_json_writer *w, struct torn_err *err)
{
	char *text;
	size_t len;
	int ret = torn_json_writer_take(w, &text, &len);

	if (ret)
		return torn_err_set(err, ret, "%s: cannot format: %s", name,
				    torn_strerror(ret));
	ret = write_atomic(dir, name, text, len, err);
	free(text);
	return ret;
}

/* A member that is there when it has a value. */
static void put_string(struct torn_json_writer *w, const char *key,
		       const char *s)
{
	if (!s[0])
		return;
	torn_json_write_key(w, key);
	torn_json_write_str(w, s);
}

/* "DIR/NAME: why" for a member getter's failure. */
static int member_error(struct torn_err *err, const char *dir, const char *name,
			int ret, const char *why)
{
	return torn_err_set(err, ret, "%.300s/%s: %s", dir, name, why);
}

/* ---- meta.json ---------------------------------------------------------- */

void torn_run_meta_init(struct torn_run_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->boot_ms = m->workload_ms = -1;
}

int torn_run_meta_write(const char *dir, const struct torn_run_meta *m,
			struct torn_err *err)
{
	struct torn_json_writer *w;
	int ret;

	if (torn_json_writer_new(&w, TORN_JSON_PRETTY))
		return torn_err_set(err, -ENOMEM, "out of memory");
	/* the order torn trace has always written them in */
	torn_json_write_begin_object(w);
	put_string(w, "fs", m->fs);
	put_string(w, "flush_mode", m->flush_mode);
	put_string(w, "workload", m->workload);
	put_string(w, "kit", m->kit);
	put_string(w, "base_image", m->base_image);
	put_string(w, "checker", m->checker);
	put_string(w, "kernel", m->kernel);
	put_string(w, "kernel_build", m->kernel_build);
	if (m->boot_ms >= 0) {
		torn_json_write_key(w, "boot_ms");
		torn_json_write_int64(w, m->boot_ms);
	}
	put_string(w, "cpu_flags", m->cpu_flags);
	if (m->workload_ms >= 0) {
		torn_json_write_key(w, "workload_ms");
		torn_json_write_int64(w, m->workload_ms);
	}
	put_string(w, "workload_status", m->workload_status);
	put_string(w, "base_sha256", m->base_sha256);
	put_string(w, "final_sha256", m->final_sha256);
	if (m->pm_base) {
		torn_json_write_key(w, "pm_base");
		torn_json_write_uint64(w, m->pm_base);
	}
	if (m->pm_size) {
		torn_json_write_key(w, "pm_size");
		torn_json_write_uint64(w, m->pm_size);
	}
	if (m->untraced) {
		torn_json_write_key(w, "untraced");
		torn_json_write_bool(w, true);
	}
	torn_json_write_end_object(w);
	ret = write_json(dir, TORN_RUN_META, w, err);
	torn_json_writer_free(w);
	return ret;
}

/* A string member of a file and the buffer it is read into. */
struct string_member {
	const char *key;
	char *buf;
	size_t size;
};

/* Every member of t[0..n) with rundir_get_string; the first error. */
static int get_strings(const struct torn_json *obj,
		       const struct string_member *t, size_t n, char *why,
		       size_t whylen)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = rundir_get_string(obj, t[i].key, t[i].buf, t[i].size,
					NULL, why, whylen);
	return ret;
}

int torn_run_meta_read(const char *dir, struct torn_run_meta *m,
		       struct torn_err *err)
{
	const struct string_member strings[] = {
		{ "fs", m->fs, sizeof(m->fs) },
		{ "flush_mode", m->flush_mode, sizeof(m->flush_mode) },
		{ "workload", m->workload, sizeof(m->workload) },
		{ "kit", m->kit, sizeof(m->kit) },
		{ "base_image", m->base_image, sizeof(m->base_image) },
		{ "checker", m->checker, sizeof(m->checker) },
		{ "kernel", m->kernel, sizeof(m->kernel) },
		{ "kernel_build", m->kernel_build, sizeof(m->kernel_build) },
		{ "cpu_flags", m->cpu_flags, sizeof(m->cpu_flags) },
		{ "workload_status", m->workload_status,
		  sizeof(m->workload_status) },
		{ "base_sha256", m->base_sha256, sizeof(m->base_sha256) },
		{ "final_sha256", m->final_sha256, sizeof(m->final_sha256) },
	};
	struct torn_json *obj;
	char why[200];
	int ret;

	torn_run_meta_init(m);
	ret = read_object(dir, TORN_RUN_META, &obj, err);
	if (ret)
		return ret;
	ret = get_strings(obj, strings, sizeof(strings) / sizeof(strings[0]),
			  why, sizeof(why));
	if (!ret)
		ret = rundir_get_count(obj, "boot_ms", INT64_MAX, &m->boot_ms,
				       NULL, why, sizeof(why));
	if (!ret)
		ret = rundir_get_count(obj, "workload_ms", INT64_MAX,
				       &m->workload_ms, NULL, why, sizeof(why));
	if (!ret)
		ret = rundir_get_uint64(obj, "pm_base", &m->pm_base, NULL, why,
					sizeof(why));
	if (!ret)
		ret = rundir_get_uint64(obj, "pm_size", &m->pm_size, NULL, why,
					sizeof(why));
	if (!ret)
		ret = rundir_get_bool(obj, "untraced", &m->untraced, NULL, why,
				      sizeof(why));
	torn_json_free(obj);
	if (ret) {
		member_error(err, dir, TORN_RUN_META, ret, why);
		torn_run_meta_init(m);
	}
	return ret;
}

/* ---- check.json --------------------------------------------------------- */

void torn_run_check_init(struct torn_run_check *c)
{
	memset(c, 0, sizeof(*c));
}

int torn_run_check_write(const char *dir, const struct torn_run_check *c,
			 struct torn_err *err)
{
	struct torn_json_writer *w;
	int ret;

	if (torn_json_writer_new(&w, TORN_JSON_PRETTY))
		return torn_err_set(err, -ENOMEM, "out of memory");
	torn_json_write_begin_object(w);
	put_string(w, "model", c->model);
	put_string(w, "granularity", c->granularity);
	put_string(w, "points", c->points);
	/* 0 is recorded too: "none", not "unknown" */
	torn_json_write_key(w, "from_op");
	torn_json_write_uint64(w, c->from_op);
	put_string(w, "engines", c->engines);
	put_string(w, "oracles", c->oracles);
	if (c->kit[0])
		put_string(w, "kit", c->kit);
	if (c->shard_count) {
		torn_json_write_key(w, "shard_index");
		torn_json_write_uint64(w, c->shard_index);
		torn_json_write_key(w, "shard_count");
		torn_json_write_uint64(w, c->shard_count);
	}
	torn_json_write_end_object(w);
	ret = write_json(dir, TORN_RUN_CHECK, w, err);
	torn_json_writer_free(w);
	return ret;
}

int torn_run_check_read(const char *dir, struct torn_run_check *c,
			struct torn_err *err)
{
	const struct string_member strings[] = {
		{ "model", c->model, sizeof(c->model) },
		{ "granularity", c->granularity, sizeof(c->granularity) },
		{ "points", c->points, sizeof(c->points) },
		{ "engines", c->engines, sizeof(c->engines) },
		{ "oracles", c->oracles, sizeof(c->oracles) },
		{ "kit", c->kit, sizeof(c->kit) },
	};
	struct torn_json *obj;
	char why[200];
	int ret;

	torn_run_check_init(c);
	ret = read_object(dir, TORN_RUN_CHECK, &obj, err);
	if (ret)
		return ret;
	ret = get_strings(obj, strings, sizeof(strings) / sizeof(strings[0]),
			  why, sizeof(why));
	if (!ret)
		ret = rundir_get_uint64(obj, "from_op", &c->from_op, NULL, why,
					sizeof(why));
	if (!ret)
		ret = rundir_get_uint64(obj, "shard_index", &c->shard_index,
					NULL, why, sizeof(why));
	if (!ret)
		ret = rundir_get_uint64(obj, "shard_count", &c->shard_count,
					NULL, why, sizeof(why));
	if (!ret && (c->shard_count > TORN_SHARDS_MAX ||
		     (c->shard_count &&
		      (!c->shard_index || c->shard_index > c->shard_count)) ||
		     (!c->shard_count && c->shard_index))) {
		snprintf(why, sizeof(why),
			 "shard_index %" PRIu64 " of shard_count %" PRIu64
			 ": expected 1..count, count at most %d",
			 c->shard_index, c->shard_count, TORN_SHARDS_MAX);
		ret = TORN_E_FORMAT;
	}
	torn_json_free(obj);
	if (ret) {
		member_error(err, dir, TORN_RUN_CHECK, ret, why);
		torn_run_check_init(c);
	}
	return ret;
}
