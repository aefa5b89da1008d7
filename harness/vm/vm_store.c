/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files on a remote hypervisor's host (vm.h, torn_vm_store): volumes of
 * the directory storage pool "torn" there, moved through libvirt's
 * stream API (virStorageVolUpload, virStorageVolDownload), so that the
 * only way between torn and the other host is the libvirt connection.
 * The pool is defined and built at TORN_VM_STORE_DIR when it is missing.
 * A kit file (kernel, initrd, the shim, a run's origin disk) is uploaded
 * once per content: a hash of its path, size and mtime names it, and the
 * volume NAME.ok holds the name of the volume whose upload finished.
 */
#include "vm_int.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TORN_VM_STORE_POOL "torn"
#define TORN_VM_STORE_DIR "/var/lib/libvirt/images/torn"
#define CHUNK (1u << 20)

struct torn_vm_store {
	virConnectPtr conn;
	virStoragePoolPtr pool;
	char *uri;
};

/* one pool define at a time in this process */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static int store_fail(struct torn_vm_store *s, struct torn_err *err,
		      const char *what, const char *name)
{
	return torn_err_set(err, TORN_E_GUEST, "libvirt %s: %s %s: %s", s->uri,
			    what, name, vm_libvirt_error());
}

static virStoragePoolPtr pool_get(virConnectPtr conn)
{
	virStoragePoolPtr p;

	pthread_mutex_lock(&pool_lock);
	p = virStoragePoolLookupByName(conn, TORN_VM_STORE_POOL);
	if (!p) {
		p = virStoragePoolDefineXML(
			conn,
			"<pool type='dir'><name>" TORN_VM_STORE_POOL
			"</name><target><path>" TORN_VM_STORE_DIR
			"</path></target></pool>",
			0);
		if (p && virStoragePoolBuild(p, 0) < 0) {
			virStoragePoolFree(p);
			p = NULL;
		}
		/* another torn defined it meanwhile */
		if (!p)
			p = virStoragePoolLookupByName(conn,
						       TORN_VM_STORE_POOL);
	}
	if (p && virStoragePoolIsActive(p) != 1 &&
	    virStoragePoolCreate(p, 0) < 0) {
		virStoragePoolFree(p);
		p = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	return p;
}

int torn_vm_store_open(const char *uri, struct torn_vm_store **out,
		       struct torn_err *err)
{
	struct torn_vm_store *s = g_new0(struct torn_vm_store, 1);

	s->uri = g_strdup(uri);
	vm_libvirt_quiet();
	s->conn = virConnectOpen(uri);
	if (!s->conn) {
		torn_err_set(err, TORN_E_GUEST,
			     "libvirt %s: %s (is libvirtd running? docs/ci.md)",
			     uri, vm_libvirt_error());
		torn_vm_store_close(s);
		return TORN_E_GUEST;
	}
	s->pool = pool_get(s->conn);
	if (!s->pool) {
		store_fail(s, err, "storage pool", TORN_VM_STORE_POOL);
		torn_vm_store_close(s);
		return TORN_E_GUEST;
	}
	*out = s;
	return 0;
}

void torn_vm_store_close(struct torn_vm_store *s)
{
	if (!s)
		return;
	if (s->pool)
		virStoragePoolFree(s->pool);
	if (s->conn)
		virConnectClose(s->conn);
	g_free(s->uri);
	g_free(s);
}

/* The volume name, made when create (capacity size, raw), or NULL. */
static virStorageVolPtr vol_get(struct torn_vm_store *s, const char *name,
				uint64_t size, bool create)
{
	virStorageVolPtr v = virStorageVolLookupByName(s->pool, name);
	char *xml;

	if (v || !create)
		return v;
	xml = g_markup_printf_escaped(
		"<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
		"<allocation unit='bytes'>0</allocation>"
		"<target><format type='raw'/></target></volume>",
		name, (unsigned long long)size);
	v = virStorageVolCreateXML(s->pool, xml, 0);
	g_free(xml);
	return v;
}

int torn_vm_store_create(struct torn_vm_store *s, const char *name,
			 uint64_t size, char **rpath, struct torn_err *err)
{
	virStorageVolPtr v;

	/* a volume of that name left by a torn that was killed */
	v = vol_get(s, name, 0, false);
	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
	v = vol_get(s, name, size, true);
	if (!v)
		return store_fail(s, err, "cannot create volume", name);
	*rpath = virStorageVolGetPath(v);
	virStorageVolFree(v);
	if (!*rpath)
		return store_fail(s, err, "no path for volume", name);
	return 0;
}

int torn_vm_store_write(struct torn_vm_store *s, const char *name, uint64_t off,
			const void *buf, uint64_t len, struct torn_err *err)
{
	virStorageVolPtr v = vol_get(s, name, 0, false);
	virStreamPtr st = NULL;
	const char *p = buf;
	uint64_t done = 0;
	int ret = 0;

	if (!v)
		return store_fail(s, err, "no volume", name);
	st = virStreamNew(s->conn, 0);
	if (!st || virStorageVolUpload(v, st, off, len, 0) < 0) {
		ret = store_fail(s, err, "cannot upload to", name);
		goto out;
	}
	while (done < len) {
		size_t n = len - done > CHUNK ? CHUNK : (size_t)(len - done);
		int w = virStreamSend(st, p + done, n);

		if (w <= 0) {
			virStreamAbort(st);
			ret = store_fail(s, err, "upload to", name);
			goto out;
		}
		done += (uint64_t)w;
	}
	if (virStreamFinish(st) < 0)
		ret = store_fail(s, err, "upload to", name);
out:
	if (st)
		virStreamFree(st);
	virStorageVolFree(v);
	return ret;
}

int torn_vm_store_read(struct torn_vm_store *s, const char *name, uint64_t off,
		       uint64_t len, torn_vm_store_fn fn, void *ctx,
		       struct torn_err *err)
{
	virStorageVolPtr v = vol_get(s, name, 0, false);
	virStreamPtr st = NULL;
	char *buf = NULL;
	uint64_t at = off;
	size_t have = 0;
	int ret = 0;

	if (!v)
		return store_fail(s, err, "no volume", name);
	st = virStreamNew(s->conn, 0);
	if (!st || virStorageVolDownload(v, st, off, len, 0) < 0) {
		ret = store_fail(s, err, "cannot download", name);
		goto out;
	}
	buf = g_malloc(CHUNK);
	/* whole chunks to fn (the stream's packets are smaller) */
	for (;;) {
		int n = virStreamRecv(st, buf + have, CHUNK - have);

		if (n < 0) {
			virStreamAbort(st);
			ret = store_fail(s, err, "download of", name);
			goto out;
		}
		have += (size_t)n;
		if ((n == 0 || have == CHUNK) && have) {
			fn(at, buf, have, ctx);
			at += have;
			have = 0;
		}
		if (n == 0)
			break;
	}
	if (virStreamFinish(st) < 0)
		ret = store_fail(s, err, "download of", name);
out:
	g_free(buf);
	if (st)
		virStreamFree(st);
	virStorageVolFree(v);
	return ret;
}

struct small_read {
	char *buf;
	size_t len, got;
};

static void small_piece(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct small_read *r = arg;

	(void)off;
	if (r->got < r->len) {
		size_t n = len < r->len - r->got ? len : r->len - r->got;

		memcpy(r->buf + r->got, buf, n);
		r->got += n;
	}
}

size_t torn_vm_store_read_small(struct torn_vm_store *s, const char *name,
				uint64_t off, void *buf, size_t len,
				struct torn_err *err)
{
	struct small_read r = { .buf = buf, .len = len };

	if (torn_vm_store_read(s, name, off, len, small_piece, &r, err))
		return 0;
	return r.got;
}

void torn_vm_store_delete(struct torn_vm_store *s, const char *name)
{
	virStorageVolPtr v = s ? vol_get(s, name, 0, false) : NULL;

	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
}

int torn_vm_store_sweep(struct torn_vm_store *s, const char *host)
{
	virStorageVolPtr *vols = NULL;
	size_t plen;
	char *prefix;
	int n, swept = 0;

	if (!s || !host || !*host)
		return 0;
	prefix = g_strdup_printf("torn-%s-", host);
	plen = strlen(prefix);
	n = virStoragePoolListAllVolumes(s->pool, &vols, 0);
	for (int i = 0; i < n; i++) {
		const char *name = virStorageVolGetName(vols[i]);
		char *end = NULL;
		long pid = -1;

		if (name && !strncmp(name, prefix, plen))
			pid = strtol(name + plen, &end, 10);
		/* a torn of this host that is gone: its volumes are litter */
		if (pid > 0 && end && *end == '-' && kill((pid_t)pid, 0) &&
		    errno == ESRCH && !virStorageVolDelete(vols[i], 0))
			swept++;
		virStorageVolFree(vols[i]);
	}
	free(vols);
	g_free(prefix);
	return swept;
}

/* ---- kit files, once per content ----------------------------------------- */

/* one upload at a time in this process: checkers start together */
static pthread_mutex_t put_lock = PTHREAD_MUTEX_INITIALIZER;

/* The volume NAME.ok names, when its upload finished: its path. */
static char *finished(struct torn_vm_store *s, const char *ok)
{
	struct torn_err err = { "" };
	virStorageVolPtr v = NULL;
	char name[512] = "", *path = NULL;
	size_t n = torn_vm_store_read_small(s, ok, 0, name, sizeof(name) - 1,
					    &err);

	if (n && !memchr(name, '\0', n))
		v = vol_get(s, name, 0, false);
	if (v) {
		path = virStorageVolGetPath(v);
		virStorageVolFree(v);
	}
	return path;
}

int torn_vm_store_put_file(struct torn_vm_store *s, const char *local,
			   char **rpath, struct torn_err *err)
{
	char *base = g_path_get_basename(local), *key, *name, *ok, *hash;
	struct stat st;
	GMappedFile *m = NULL;
	char *okpath = NULL;
	int ret;

	if (stat(local, &st)) {
		ret = torn_err_set(err, -errno, "%s: %s", local,
				   strerror(errno));
		g_free(base);
		return ret;
	}
	key = g_strdup_printf("%s %lld %lld.%09ld", local,
			      (long long)st.st_size,
			      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	/*
	 * Uploaded under a name of this torn's own, then named by NAME.ok:
	 * two torns uploading at once never write one volume.
	 */
	name = g_strdup_printf("kit-%.16s-%d-%s", hash, (int)getpid(), base);
	ok = g_strdup_printf("kit-%.16s-%s.ok", hash, base);
	pthread_mutex_lock(&put_lock);
	*rpath = finished(s, ok);
	if (*rpath) {
		ret = 0;
		goto out;
	}
	m = g_mapped_file_new(local, FALSE, NULL);
	if (!m) {
		ret = torn_err_set(err, -EIO, "cannot read %s", local);
		goto out;
	}
	ret = torn_vm_store_create(s, name, (uint64_t)st.st_size, rpath, err);
	if (!ret)
		ret = torn_vm_store_write(s, name, 0,
					  g_mapped_file_get_contents(m),
					  (uint64_t)st.st_size, err);
	if (!ret)
		ret = torn_vm_store_create(s, ok, strlen(name), &okpath, err);
	if (!ret)
		ret = torn_vm_store_write(s, ok, 0, name, strlen(name), err);
	if (ret) {
		free(*rpath);
		*rpath = NULL;
	}
out:
	pthread_mutex_unlock(&put_lock);
	free(okpath);
	if (m)
		g_mapped_file_unref(m);
	g_free(ok);
	g_free(name);
	g_free(hash);
	g_free(key);
	g_free(base);
	return ret;
}
