/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Warm start: a booted guest saved to a file (a QEMU migration stream
 * without the NVDIMM, capability x-ignore-shared) and later guests
 * started from it, through QEMU's QMP socket.
 */
#include "vm_int.h"
#include "json.h"
#include "torn_time.h"

#include <glib.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct qmp {
	int fd;
	char buf[65536];
	size_t len;
};

/* Connect to WORKDIR/qmp.sock, waiting while QEMU starts up. */
static int qmp_connect(struct torn_vm *vm, struct qmp *q, long long deadline,
		       struct torn_err *err)
{
	q->fd = -1;
	q->len = 0;
	return vm_connect_sock(vm, "qmp.sock", deadline, &q->fd, err);
}

/*
 * The next QMP message that is not an event, parsed (free it), or an
 * error.  Lines longer than the buffer are an error: QMP's replies to
 * the commands sent here are short.
 */
static int qmp_read(struct qmp *q, long long deadline, struct torn_json **out,
		    struct torn_err *err)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		while (nl) {
			size_t line = (size_t)(nl - q->buf) + 1;
			struct torn_json *v = NULL;
			int ret = torn_json_parse(q->buf, line - 1, &v, err);

			memmove(q->buf, q->buf + line, q->len - line);
			q->len -= line;
			if (ret)
				return torn_err_set(err, TORN_E_GUEST,
						    "QMP sent bad JSON: %s",
						    err->msg);
			if (!torn_json_get(v, "event")) {
				*out = v;
				return 0;
			}
			torn_json_free(v);
			nl = memchr(q->buf, '\n', q->len);
		}
		if (q->len == sizeof(q->buf))
			return torn_err_set(err, TORN_E_GUEST,
					    "QMP sent a line over %zu bytes",
					    sizeof(q->buf));
		left = deadline - torn_now_ms();
		if (left <= 0)
			return torn_err_set(err, TORN_E_TIMEOUT,
					    "QMP did not answer in time");
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n <= 0)
			return torn_err_set(
				err, TORN_E_GUEST,
				"QMP connection closed (qemu exited?)");
		q->len += (size_t)n;
	}
}

/*
 * Send one command (a JSON object's text) and wait for its reply; 0 and
 * the reply in *reply_out when asked (free), or QMP's error as one line.
 */
static int qmp_cmd(struct qmp *q, const char *cmd, long long deadline,
		   struct torn_json **reply_out, struct torn_err *err)
{
	size_t len = strlen(cmd), off = 0;
	struct torn_json *reply = NULL;
	const struct torn_json *e;
	int ret;

	while (off < len) {
		ssize_t n = send(q->fd, cmd + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			return torn_err_set(err, TORN_E_GUEST,
					    "QMP connection lost: %s",
					    strerror(errno));
		off += (size_t)n;
	}
	ret = qmp_read(q, deadline, &reply, err);
	if (ret)
		return ret;
	e = torn_json_get(reply, "error");
	if (e) {
		const char *d = torn_json_get_member_string(e, "desc", NULL);

		ret = torn_err_set(err, TORN_E_GUEST, "QMP: %.300s",
				   d ? d : "error");
		torn_json_free(reply);
		return ret;
	}
	if (reply_out)
		*reply_out = reply;
	else
		torn_json_free(reply);
	return 0;
}

/* The greeting read, capabilities negotiated, x-ignore-shared on. */
static int qmp_begin(struct torn_vm *vm, struct qmp *q, long long deadline,
		     struct torn_err *err)
{
	struct torn_json *hello = NULL;
	int ret = qmp_connect(vm, q, deadline, err);

	if (!ret)
		ret = qmp_read(q, deadline, &hello, err);
	torn_json_free(hello);
	if (!ret)
		ret = qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n",
			      deadline, NULL, err);
	if (!ret)
		ret = qmp_cmd(
			q,
			"{\"execute\":\"migrate-set-capabilities\","
			"\"arguments\":{\"capabilities\":[{\"capability\":"
			"\"x-ignore-shared\",\"state\":true}]}}\n",
			deadline, NULL, err);
	return ret;
}

static void qmp_end(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/* {"execute":EXEC,"arguments":{"uri":"file:PATH"}} (g_free), NULL when
 * out of memory. */
static char *cmd_with_uri(const char *exec, const char *path)
{
	struct torn_json_writer *w;
	char *uri = g_strdup_printf("file:%s", path), *text = NULL;
	size_t len;

	if (torn_json_writer_new(&w, 0)) {
		g_free(uri);
		return NULL;
	}
	if (torn_json_write_begin_object(w) ||
	    torn_json_write_key(w, "execute") || torn_json_write_str(w, exec) ||
	    torn_json_write_key(w, "arguments") ||
	    torn_json_write_begin_object(w) || torn_json_write_key(w, "uri") ||
	    torn_json_write_str(w, uri) || torn_json_write_end_object(w) ||
	    torn_json_write_end_object(w) ||
	    torn_json_writer_take(w, &text, &len))
		text = NULL;
	torn_json_writer_free(w);
	g_free(uri);
	if (!text)
		return NULL;
	{
		char *line = g_strconcat(text, "\n", NULL);

		free(text);
		return line;
	}
}

/* Poll QUERY until the "status" of its return is done, or "failed". */
static int qmp_wait_status(struct qmp *q, const char *query, const char *done,
			   long long deadline, struct torn_err *err)
{
	char *cmd = g_strdup_printf("{\"execute\":\"%s\"}\n", query);
	int ret;

	for (;;) {
		struct torn_json *r = NULL;
		const struct torn_json *v;
		const char *st;
		bool more = false;

		ret = qmp_cmd(q, cmd, deadline, &r, err);
		if (ret)
			break;
		v = torn_json_get(r, "return");
		st = torn_json_get_member_string(v, "status", NULL);
		if (st && !strcmp(st, "failed")) {
			const char *why = torn_json_get_member_string(
				v, "error-desc", NULL);

			ret = torn_err_set(err, TORN_E_GUEST,
					   "migration failed: %.300s",
					   why ? why : "(no reason given)");
		} else if (!st || strcmp(st, done)) {
			if (torn_now_ms() > deadline)
				ret = torn_err_set(
					err, TORN_E_TIMEOUT,
					"still '%.60s' after the deadline",
					st ? st : "");
			else
				more = true;
		}
		torn_json_free(r);
		if (!more)
			break;
		usleep(10000);
	}
	g_free(cmd);
	return ret;
}

/* The agent answers a ping: the restored or resumed guest serves. */
static int agent_alive(struct torn_vm *vm, int timeout_ms, struct torn_err *err)
{
	static const char *const ping[] = { "ping" };
	struct torn_proto_msg m;
	int ret = torn_vm_call(vm, timeout_ms, 1, ping, &m, err);

	if (!ret)
		torn_proto_msg_clear(&m);
	return ret;
}

int torn_vm_save(struct torn_vm *vm, const char *path, struct torn_err *err)
{
	long long deadline = torn_now_ms() + 120000;
	struct qmp q = { .fd = -1 };
	char *tmp = g_strdup_printf("%s.%d.tmp", path, (int)getpid());
	char *cmd = cmd_with_uri("migrate", tmp);
	int ret;

	if (vm->dom) {
		ret = torn_err_set(err, TORN_E_USAGE,
				   "only a guest torn started can be saved");
		goto out;
	}
	if (!cmd) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	unlink(tmp);
	ret = qmp_begin(vm, &q, deadline, err);
	if (!ret)
		ret = qmp_cmd(&q, cmd, deadline, NULL, err);
	if (!ret)
		ret = qmp_wait_status(&q, "query-migrate", "completed",
				      deadline, err);
	/* the source stops when the stream is complete: it goes on */
	if (q.fd >= 0) {
		struct torn_err cerr = { "" };
		int cret = qmp_cmd(&q, "{\"execute\":\"cont\"}\n", deadline,
				   NULL, &cerr);

		if (cret && !ret)
			ret = torn_err_set(err, cret, "%s", cerr.msg);
	}
	qmp_end(&q);
	if (!ret)
		ret = agent_alive(vm, 30000, err);
	if (!ret && rename(tmp, path))
		ret = torn_err_set(err, -errno, "rename %s: %s", path,
				   strerror(errno));
	if (ret)
		unlink(tmp);
out:
	g_free(cmd);
	g_free(tmp);
	return ret;
}

int vm_snap_incoming(struct torn_vm *vm, const char *path, long long deadline,
		     struct torn_err *err)
{
	struct qmp q = { .fd = -1 };
	char *cmd = cmd_with_uri("migrate-incoming", path);
	int ret;

	if (!cmd)
		return torn_err_set(err, -ENOMEM, "out of memory");
	ret = qmp_begin(vm, &q, deadline, err);
	if (!ret)
		ret = qmp_cmd(&q, cmd, deadline, NULL, err);
	if (!ret)
		ret = qmp_wait_status(&q, "query-status", "running", deadline,
				      err);
	qmp_end(&q);
	g_free(cmd);
	if (ret) {
		/* QEMU's own reason is the last line of its log */
		char *qlog = g_strdup_printf("%s/qemu.log", vm->workdir);
		char *tail = g_strstrip(g_strdup(vm_file_tail(qlog, 300)));
		char *line = strrchr(tail, '\n');

		line = line ? line + 1 : tail;
		if (line[0])
			torn_err_set(err, ret, "%s; qemu: %s", err->msg, line);
		g_free(tail);
		g_free(qlog);
	}
	return ret;
}

int vm_snap_greet(struct torn_vm *vm, long long deadline, struct torn_err *err)
{
	long long left = deadline - torn_now_ms();

	return agent_alive(vm, left > 1000 ? (int)left : 1000, err);
}
