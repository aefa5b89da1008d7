/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend (vm_int.h): the guest torn_vm_build_argv describes,
 * as a transient libvirt domain of the same QEMU, through the libvirt C
 * API.  The NVDIMM is a <memory model='nvdimm' access='shared'> on the
 * backing file (without access='shared' QEMU would map it privately and
 * the guest's writes would never reach the file), pinned where the QEMU
 * backend puts it; the console a file, the agent's virtio-serial port a
 * unix socket in the work directory, as with the QEMU backend; the tracer
 * plugin and the nvdimm-persistence machine option through
 * <qemu:commandline>, the write-tracking shim through <qemu:env>.  The
 * domain is started with VIR_DOMAIN_START_AUTODESTROY: libvirt destroys
 * it when torn's connection closes, however torn ends.
 *
 * On another host's hypervisor (a remote URI) no file is shared: the
 * kernel, initrd and origin disk are volumes uploaded there
 * (vm_store.c), the NVDIMM's backing file is a volume the caller made
 * (torn_vm_config.pm_remote), the console is a pty and the agent's port
 * a unix socket of libvirt's choosing there, each reached as a libvirt
 * stream (virDomainOpenConsole, virDomainOpenChannel) that two threads
 * pump to a local file and to a socket pair.  Tracing is not offered
 * there: the tracer's output would be on the other host.
 */
#include "vm_int.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <dirent.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torn_time.h"
#include "wp.h"

/* fmt with each %s escaped for XML (paths, the kernel command line). */
static void put(GString *x, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_markup_vprintf_escaped(fmt, ap);
	va_end(ap);
	g_string_append(x, text);
	g_free(text);
}

int torn_vm_build_domain_xml(const struct torn_vm_config *cfg, const char *name,
			     char **out)
{
	unsigned int mem = cfg->mem_mb ? cfg->mem_mb : 512;
	unsigned long long maxmem_mb;
	bool remote;
	GString *x;

	if (!cfg->kernel || !cfg->initrd || !cfg->pm_path || !cfg->workdir ||
	    !cfg->pm_size || !name)
		return TORN_E_USAGE;
	if (cfg->pm_size % (2u << 20))
		return TORN_E_RANGE;
	if (cfg->flush_mode < TORN_FLUSH_MODE_CLWB ||
	    cfg->flush_mode > TORN_FLUSH_MODE_NT || cfg->console_stdio)
		return TORN_E_USAGE;
	/* as the QEMU backend: slots and maxmem cover RAM plus the NVDIMM */
	maxmem_mb = mem + (cfg->pm_size >> 20);
	maxmem_mb = (maxmem_mb + 1023) / 1024 * 1024 + 1024;
	remote = cfg->libvirt_uri && !vm_libvirt_uri_local(cfg->libvirt_uri);
	x = g_string_new(NULL);
	put(x,
	    "<domain type='qemu' "
	    "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	    "  <name>%s</name>\n"
	    "  <memory unit='MiB'>%u</memory>\n"
	    "  <maxMemory slots='2' unit='MiB'>%llu</maxMemory>\n"
	    "  <vcpu>%u</vcpu>\n"
	    "  <os>\n"
	    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
	    "    <kernel>%s</kernel>\n"
	    "    <initrd>%s</initrd>\n",
	    name, mem, maxmem_mb, cfg->smp ? cfg->smp : 1, cfg->kernel,
	    cfg->initrd);
	put(x,
	    "    <cmdline>console=ttyS0 nokaslr pti=off no5lvl noreplace-smp "
	    "panic=-1 loglevel=4 rdinit=/init%s%s</cmdline>\n"
	    "  </os>\n"
	    "  <features><acpi/></features>\n"
	    "  <cpu mode='maximum'>\n"
	    "    <feature policy='disable' name='la57'/>\n",
	    cfg->append ? " " : "", cfg->append ? cfg->append : "");
	if (cfg->flush_mode == TORN_FLUSH_MODE_CLFLUSHOPT ||
	    cfg->flush_mode == TORN_FLUSH_MODE_CLFLUSH)
		put(x, "    <feature policy='disable' name='clwb'/>\n");
	if (cfg->flush_mode == TORN_FLUSH_MODE_CLFLUSH)
		put(x, "    <feature policy='disable' name='clflushopt'/>\n");
	put(x,
	    "    <numa><cell id='0' cpus='0-%u' memory='%u' "
	    "unit='MiB'/></numa>\n"
	    "  </cpu>\n"
	    "  <on_poweroff>destroy</on_poweroff>\n"
	    "  <on_reboot>destroy</on_reboot>\n"
	    "  <on_crash>destroy</on_crash>\n"
	    "  <devices>\n"
	    "    <emulator>%s</emulator>\n"
	    "    <controller type='usb' model='none'/>\n"
	    "    <memballoon model='none'/>\n",
	    (cfg->smp ? cfg->smp : 1) - 1, mem,
	    cfg->qemu ? cfg->qemu : "/usr/bin/qemu-system-x86_64");
	if (remote)
		put(x, "    <serial type='pty'><target port='0'/></serial>\n"
		       "    <channel type='unix'><source mode='bind'/>"
		       "<target type='virtio' name='torn.agent'/></channel>\n");
	else
		put(x,
		    "    <serial type='file'><source path='%s/console.log'/>"
		    "<target port='0'/></serial>\n"
		    "    <channel type='unix'><source mode='bind' "
		    "path='%s/agent.sock'/>"
		    "<target type='virtio' name='torn.agent'/></channel>\n",
		    cfg->workdir, cfg->workdir);
	if (cfg->origin_path) {
		put(x,
		    "    <disk type='file' device='disk'>"
		    "<driver name='qemu' type='raw'/><source file='%s'/>"
		    "<target dev='vda' bus='virtio'/>",
		    cfg->origin_path);
		/* the guest's writes to a throw-away overlay */
		if (!cfg->origin_writable)
			g_string_append(x, "<transient/>");
		g_string_append(x, "</disk>\n");
	}
	put(x,
	    "    <memory model='nvdimm' access='shared'>\n"
	    "      <source><path>%s</path></source>\n"
	    "      <target><size unit='KiB'>%llu</size><node>0</node>"
	    "</target>\n"
	    "      <address type='dimm' slot='0' base='0x%llx'/>\n"
	    "    </memory>\n"
	    "  </devices>\n"
	    "  <qemu:commandline>\n"
	    "    <qemu:arg value='-machine'/>\n"
	    "    <qemu:arg value='nvdimm-persistence=%s'/>\n",
	    cfg->pm_path, (unsigned long long)(cfg->pm_size >> 10),
	    (unsigned long long)TORN_VM_PM_ADDR,
	    cfg->flush_mode == TORN_FLUSH_MODE_EADR ? "cpu" : "mem-ctrl");
	if (cfg->plugin)
		put(x,
		    "    <qemu:arg value='-plugin'/>\n"
		    "    <qemu:arg value='%s'/>\n",
		    cfg->plugin);
	if (cfg->wp_shim && cfg->wp_status)
		put(x, "    <qemu:env name='TORN_WP_STATUS' value='%s'/>\n",
		    cfg->wp_status);
	else if (cfg->wp_shim)
		put(x, "    <qemu:env name='TORN_WP_STATUS' value='%s/%s'/>\n",
		    cfg->workdir, TORN_WP_STATUS_NAME);
	if (cfg->wp_shim)
		put(x,
		    "    <qemu:env name='LD_PRELOAD' value='%s'/>\n"
		    "    <qemu:env name='TORN_WP_FILE' value='%s'/>\n",
		    cfg->wp_shim, cfg->pm_path);
	if (cfg->wp_shim && cfg->wp_ask && cfg->wp_answer)
		put(x,
		    "    <qemu:env name='TORN_WP_ASK' value='%s'/>\n"
		    "    <qemu:env name='TORN_WP_ANSWER' value='%s'/>\n",
		    cfg->wp_ask, cfg->wp_answer);
	put(x, "  </qemu:commandline>\n</domain>\n");
	*out = g_string_free(x, FALSE);
	return 0;
}

/* libvirt's last error, or what errno says. */
const char *vm_libvirt_error(void)
{
	const virError *e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

/* Quiet: libvirt prints every error to stderr unless told otherwise. */
static void lv_silent(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

int vm_libvirt_uri_local(const char *uri)
{
	/* qemu:///system, qemu:///session, with ?socket=... and the like */
	return !strncmp(uri, "qemu:///", 8) ||
	       !strncmp(uri, "qemu+unix:///", 13);
}

/* QEMU's pid: the process whose command line names the domain. */
static pid_t find_qemu(const char *name)
{
	char want[300];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid = -1;

	snprintf(want, sizeof(want), "guest=%s,", name);
	while (d && pid < 0 && (e = readdir(d))) {
		char path[300], buf[4096];
		ssize_t n;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		/* argv[2] of "qemu -name guest=NAME,debug-threads=on" */
		for (char *p = buf; p < buf + n; p += strlen(p) + 1)
			if (!strncmp(p, want, strlen(want))) {
				pid = (pid_t)atoi(e->d_name);
				break;
			}
	}
	if (d)
		closedir(d);
	return pid;
}

void vm_libvirt_quiet(void)
{
	virSetErrorFunc(NULL, lv_silent);
}

int torn_vm_backend_remote(const char *uri)
{
	return uri && !vm_libvirt_uri_local(uri);
}

int torn_vm_backend_check(const char *uri, struct torn_err *err)
{
	virConnectPtr conn;

	if (!uri)
		return 0;
	vm_libvirt_quiet();
	conn = virConnectOpen(uri);
	if (!conn)
		return torn_err_set(err, TORN_E_GUEST,
				    "libvirt %s: %s (is libvirtd running? "
				    "docs/ci.md)",
				    uri, vm_libvirt_error());
	virConnectClose(conn);
	return 0;
}

/* ---- a remote domain's console and agent port, as streams ---------------- */

struct vm_pump {
	virStreamPtr st;
	int fd; /* the local end: a file (console) or a socket (agent) */
	pthread_t rx, tx;
	bool rx_on, tx_on;
};

/* The stream's bytes to the local end, until either ends. */
static void *pump_rx(void *arg)
{
	struct vm_pump *p = arg;
	char buf[16384];
	int n;

	while ((n = virStreamRecv(p->st, buf, sizeof(buf))) > 0) {
		for (int done = 0; done < n;) {
			ssize_t w = send(p->fd, buf + done, (size_t)(n - done),
					 MSG_NOSIGNAL);

			if (w < 0 && errno == ENOTSOCK)
				w = write(p->fd, buf + done,
					  (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			done += (int)w;
		}
	}
out:
	/* the agent's socket sees the end of the stream */
	shutdown(p->fd, SHUT_RDWR);
	return NULL;
}

/* The local socket's bytes to the stream. */
static void *pump_tx(void *arg)
{
	struct vm_pump *p = arg;
	char buf[16384];
	ssize_t n;

	while ((n = read(p->fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (ssize_t done = 0; done < n;) {
			int w = virStreamSend(p->st, buf + done,
					      (size_t)(n - done));

			if (w <= 0)
				return NULL;
			done += w;
		}
	}
	return NULL;
}

static void pump_free(struct vm_pump *p)
{
	if (!p)
		return;
	if (p->st)
		virStreamAbort(p->st);
	if (p->fd >= 0)
		shutdown(p->fd, SHUT_RDWR);
	if (p->rx_on)
		pthread_join(p->rx, NULL);
	if (p->tx_on)
		pthread_join(p->tx, NULL);
	if (p->st)
		virStreamFree(p->st);
	if (p->fd >= 0)
		close(p->fd);
	g_free(p);
}

/*
 * The domain's console (name NULL) into the file path, or its channel
 * name to a socket pair whose other end is *sock.  Retried while the
 * domain comes up.
 */
static int pump_open(struct torn_vm *vm, const char *name, const char *path,
		     int *sock, struct vm_pump **out, struct torn_err *err)
{
	struct vm_pump *p = g_new0(struct vm_pump, 1);
	int pair[2] = { -1, -1 }, r = -1;

	p->fd = -1;
	for (int i = 0; i < 100 && r < 0; i++) {
		if (i)
			usleep(100000);
		if (p->st)
			virStreamFree(p->st);
		p->st = virStreamNew((virConnectPtr)vm->conn, 0);
		if (!p->st)
			break;
		r = name ? virDomainOpenChannel((virDomainPtr)vm->dom, name,
						p->st, 0)
			 : virDomainOpenConsole((virDomainPtr)vm->dom, NULL,
						p->st,
						VIR_DOMAIN_CONSOLE_FORCE);
	}
	if (r < 0) {
		r = torn_err_set(err, TORN_E_GUEST,
				 "libvirt: cannot open the guest's %s: %s",
				 name ? name : "console", vm_libvirt_error());
		pump_free(p);
		return r;
	}
	if (path) {
		p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
	} else if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)) {
		p->fd = pair[1];
		*sock = pair[0];
	}
	if (p->fd < 0) {
		r = torn_err_set(err, -errno, "%s: %s",
				 path ? path : "socketpair", strerror(errno));
		pump_free(p);
		return r;
	}
	p->rx_on = !pthread_create(&p->rx, NULL, pump_rx, p);
	p->tx_on = !path && !pthread_create(&p->tx, NULL, pump_tx, p);
	*out = p;
	return p->rx_on && (path || p->tx_on)
		       ? 0
		       : torn_err_set(err, -EAGAIN, "cannot start a thread");
}

/* The kit's files in cfg as volumes on the other host: paths in *rc. */
static int remote_files(const struct torn_vm_config *cfg,
			struct torn_vm_config *rc, char **paths,
			struct torn_err *err)
{
	struct torn_vm_store *s;
	int ret;

	*rc = *cfg;
	if (!cfg->pm_remote || cfg->plugin)
		return torn_err_set(
			err, TORN_E_USAGE,
			"--backend libvirt:%s: on another host's hypervisor "
			"torn checks runs (torn check, torn run's check); "
			"trace on this host's (docs/ci.md, \"remote\")",
			cfg->libvirt_uri);
	ret = torn_vm_store_open(cfg->libvirt_uri, &s, err);
	if (ret)
		return ret;
	ret = torn_vm_store_put_file(s, cfg->kernel, &paths[0], err);
	if (!ret)
		ret = torn_vm_store_put_file(s, cfg->initrd, &paths[1], err);
	if (!ret && cfg->origin_path)
		ret = torn_vm_store_put_file(s, cfg->origin_path, &paths[2],
					     err);
	if (!ret && cfg->wp_shim)
		ret = torn_vm_store_put_file(s, cfg->wp_shim, &paths[3], err);
	torn_vm_store_close(s);
	rc->kernel = paths[0];
	rc->initrd = paths[1];
	rc->origin_path = paths[2];
	rc->wp_shim = paths[3];
	return ret;
}

int vm_libvirt_start(const struct torn_vm_config *cfg, struct torn_vm *vm,
		     struct torn_err *err)
{
	static int seq;
	char name[64], *xml = NULL, *paths[4] = { NULL, NULL, NULL, NULL };
	bool remote = !vm_libvirt_uri_local(cfg->libvirt_uri);
	struct torn_vm_config rc = *cfg;
	virConnectPtr conn;
	virDomainPtr dom;
	int ret = 0;

	vm_libvirt_quiet();
	if (remote)
		ret = remote_files(cfg, &rc, paths, err);
	snprintf(name, sizeof(name), "torn-%d-%d", (int)getpid(),
		 __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	if (!ret) {
		ret = torn_vm_build_domain_xml(&rc, name, &xml);
		if (ret)
			ret = torn_err_set(err, ret,
					   "bad guest configuration: %s",
					   torn_strerror(ret));
	}
	for (int i = 0; i < 4; i++)
		free(paths[i]);
	if (ret)
		return ret;
	conn = virConnectOpen(cfg->libvirt_uri);
	if (!conn) {
		ret = torn_err_set(err, TORN_E_GUEST,
				   "libvirt %s: %s (is libvirtd running? "
				   "docs/ci.md)",
				   cfg->libvirt_uri, vm_libvirt_error());
		g_free(xml);
		return ret;
	}
	dom = virDomainCreateXML(conn, xml, VIR_DOMAIN_START_AUTODESTROY);
	g_free(xml);
	if (!dom) {
		const char *why = vm_libvirt_error();

		ret = torn_err_set(
			err, TORN_E_GUEST,
			"libvirt %s could not start the guest: %s%s",
			cfg->libvirt_uri, why,
			strstr(why, "ermission denied") || strstr(why, "plugin")
				? " (QEMU under libvirt must read torn's kit, "
				  "plugin and work files: docs/ci.md, "
				  "\"libvirt\")"
				: "");
		virConnectClose(conn);
		return ret;
	}
	vm->conn = conn;
	vm->dom = dom;
	if (!remote) {
		vm->pid = find_qemu(name);
		return 0;
	}
	ret = pump_open(vm, NULL, vm->console_path, NULL, &vm->console, err);
	if (!ret)
		ret = pump_open(vm, "torn.agent", NULL, &vm->sock, &vm->agent,
				err);
	return ret;
}

int vm_libvirt_active(const struct torn_vm *vm)
{
	return vm->dom && virDomainIsActive((virDomainPtr)vm->dom) == 1;
}

void vm_libvirt_close(struct torn_vm *vm, int destroy)
{
	if (vm->dom && destroy && virDomainIsActive((virDomainPtr)vm->dom) == 1)
		virDomainDestroy((virDomainPtr)vm->dom);
	/* the streams end with the domain */
	if (vm->agent && vm->sock >= 0)
		shutdown(vm->sock, SHUT_RDWR);
	pump_free(vm->agent);
	pump_free(vm->console);
	vm->agent = vm->console = NULL;
	if (vm->dom) {
		virDomainFree((virDomainPtr)vm->dom);
		vm->dom = NULL;
	}
	if (vm->conn) {
		virConnectClose((virConnectPtr)vm->conn);
		vm->conn = NULL;
	}
	vm->pid = -1;
}

int vm_libvirt_wait(struct torn_vm *vm, long long deadline)
{
	while (vm_libvirt_active(vm)) {
		if (deadline && torn_now_ms() > deadline)
			return TORN_E_TIMEOUT;
		usleep(50000);
	}
	return 0;
}
