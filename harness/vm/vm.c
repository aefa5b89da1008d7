/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU process control: argv, spawn, agent connection, cleanup on every path.
 */
#include "vm_int.h"
#include "torn_time.h"
#include "wp.h"

#include <glib.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GUESTS 64

/* Live QEMU pids, read by the signal handler; -1 is a free slot. */
static volatile pid_t live_pids[MAX_GUESTS] = { [0 ... MAX_GUESTS - 1] = -1 };
static volatile sig_atomic_t interrupted;

static const char *const flush_mode_names[] = {
	[TORN_FLUSH_MODE_CLWB] = "clwb",
	[TORN_FLUSH_MODE_CLFLUSHOPT] = "clflushopt",
	[TORN_FLUSH_MODE_CLFLUSH] = "clflush",
	[TORN_FLUSH_MODE_EADR] = "eadr",
	[TORN_FLUSH_MODE_NT] = "nt",
};

int torn_flush_mode_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(flush_mode_names) / sizeof(*flush_mode_names);
	     i++)
		if (!strcmp(s, flush_mode_names[i]))
			return (int)i;
	return -1;
}

const char *torn_flush_mode_name(int mode)
{
	if (mode < 0 || mode > TORN_FLUSH_MODE_NT)
		return "?";
	return flush_mode_names[mode];
}

/* ---- argv ------------------------------------------------------------ */

struct argv_builder {
	char **v;
	size_t n, cap;
	int failed;
};

static void add(struct argv_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->failed)
		return;
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		char **p = realloc(b->v, cap * sizeof(*p));

		if (!p) {
			b->failed = 1;
			return;
		}
		b->v = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		b->failed = 1;
		s = NULL;
	}
	va_end(ap);
	if (!s)
		return;
	b->v[b->n++] = s;
	b->v[b->n] = NULL;
}

void torn_vm_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* QEMU splits -object/-device options at commas; a path must not have one. */
static int qemu_safe(const char *s)
{
	return s && !strchr(s, ',');
}

int torn_vm_build_argv(const struct torn_vm_config *cfg, char ***argv)
{
	struct argv_builder b = { 0 };
	unsigned int mem = cfg->mem_mb ? cfg->mem_mb : 512;
	unsigned long long maxmem_mb;
	const char *cpu = "max,la57=off";

	if (!cfg->kernel || !cfg->initrd || !cfg->pm_path || !cfg->workdir ||
	    !cfg->pm_size)
		return TORN_E_USAGE;
	if ((cfg->incoming || cfg->savable) &&
	    (cfg->libvirt_uri || cfg->console_stdio))
		return TORN_E_USAGE;
	if (!qemu_safe(cfg->pm_path) || !qemu_safe(cfg->workdir) ||
	    strchr(cfg->kernel, ',') || strchr(cfg->initrd, ',') ||
	    (cfg->origin_path && !qemu_safe(cfg->origin_path)))
		return TORN_E_USAGE;
	if (cfg->pm_size % (2u << 20))
		return TORN_E_RANGE;
	switch (cfg->flush_mode) {
	case TORN_FLUSH_MODE_CLWB:
	case TORN_FLUSH_MODE_EADR:
	case TORN_FLUSH_MODE_NT:
		break;
	case TORN_FLUSH_MODE_CLFLUSHOPT:
		cpu = "max,la57=off,clwb=off";
		break;
	case TORN_FLUSH_MODE_CLFLUSH:
		cpu = "max,la57=off,clwb=off,clflushopt=off";
		break;
	default:
		return TORN_E_USAGE;
	}
	/* slots/maxmem must cover RAM plus the NVDIMM, rounded up to 1 GiB */
	maxmem_mb = mem + (cfg->pm_size >> 20);
	maxmem_mb = (maxmem_mb + 1023) / 1024 * 1024 + 1024;

	add(&b, "%s", cfg->qemu ? cfg->qemu : "qemu-system-x86_64");
	add(&b, "-machine");
	add(&b, "pc,accel=tcg,nvdimm=on%s",
	    cfg->flush_mode == TORN_FLUSH_MODE_EADR
		    ? ",nvdimm-persistence=cpu"
		    : ",nvdimm-persistence=mem-ctrl");
	add(&b, "-cpu");
	add(&b, "%s", cpu);
	add(&b, "-smp");
	add(&b, "%u", cfg->smp ? cfg->smp : 1);
	add(&b, "-m");
	add(&b, "%uM,slots=2,maxmem=%lluM", mem, maxmem_mb);
	if (cfg->savable || cfg->incoming) {
		/*
		 * RAM as a named backend: with the board's own RAM, QEMU 10.0
		 * under TCG fails an assertion (tlb_reset_dirty_range_all)
		 * while it migrates a guest with an NVDIMM under 512 MiB.
		 */
		add(&b, "-object");
		add(&b, "memory-backend-ram,id=ram0,size=%uM", mem);
		add(&b, "-machine");
		add(&b, "memory-backend=ram0");
	}
	add(&b, "-object");
	add(&b, "memory-backend-file,id=pm0,share=on,mem-path=%s,size=%llu",
	    cfg->pm_path, (unsigned long long)cfg->pm_size);
	add(&b, "-device");
	add(&b, "nvdimm,id=nv0,memdev=pm0,addr=0x%llx",
	    (unsigned long long)TORN_VM_PM_ADDR);
	add(&b, "-kernel");
	add(&b, "%s", cfg->kernel);
	add(&b, "-initrd");
	add(&b, "%s", cfg->initrd);
	add(&b, "-append");
	add(&b,
	    "console=ttyS0 nokaslr pti=off no5lvl noreplace-smp panic=-1 "
	    "loglevel=4 "
	    "rdinit=/init%s%s",
	    cfg->append ? " " : "", cfg->append ? cfg->append : "");
	add(&b, "-nodefaults");
	add(&b, "-no-reboot");
	add(&b, "-display");
	add(&b, "none");
	add(&b, "-monitor");
	add(&b, "none");
	add(&b, "-serial");
	if (cfg->console_stdio)
		add(&b, "stdio");
	else
		add(&b, "file:%s/console.log", cfg->workdir);
	add(&b, "-device");
	add(&b, "virtio-serial-pci,id=vser0");
	add(&b, "-chardev");
	add(&b, "socket,id=agent,path=%s/agent.sock,server=on,wait=off",
	    cfg->workdir);
	add(&b, "-device");
	add(&b, "virtserialport,bus=vser0.0,chardev=agent,name=torn.agent");
	if (cfg->origin_path) {
		/* snapshot=on: the guest's writes go to a throw-away overlay */
		add(&b, "-drive");
		add(&b, "file=%s,if=none,id=origin,format=raw%s",
		    cfg->origin_path,
		    cfg->origin_writable ? "" : ",snapshot=on");
		add(&b, "-device");
		add(&b, "virtio-blk-pci,drive=origin");
	}
	if (cfg->savable || cfg->incoming) {
		add(&b, "-qmp");
		add(&b, "unix:%s/qmp.sock,server=on,wait=off", cfg->workdir);
	}
	if (cfg->incoming) {
		add(&b, "-incoming");
		add(&b, "defer");
	}
	if (cfg->plugin) {
		add(&b, "-plugin");
		add(&b, "%s", cfg->plugin);
	}
	if (b.failed) {
		torn_vm_argv_free(b.v);
		return -ENOMEM;
	}
	*argv = b.v;
	return 0;
}

/* ---- signals --------------------------------------------------------- */

static void kill_all_guests(void)
{
	int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		pid_t pid = __atomic_load_n(&live_pids[i], __ATOMIC_SEQ_CST);

		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

static void on_signal(int sig)
{
	interrupted = 1;
	kill_all_guests();
	signal(sig, SIG_DFL);
	raise(sig);
}

void torn_vm_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(kill_all_guests);
}

int torn_vm_interrupted(void)
{
	return interrupted;
}

/*
 * A free slot for pid.  Checker threads start guests at once: the slot is
 * taken with a compare-and-swap (a plain test and store let two threads
 * take one slot, and a guest drop out of the kill list; ThreadSanitizer
 * found it).  Lock-free, so the signal handler may read the list.
 */
static int claim_slot(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_GUESTS; i++) {
		pid_t free_slot = -1;

		if (__atomic_compare_exchange_n(&live_pids[i], &free_slot, pid,
						0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return i;
	}
	return -1;
}

/* ---- process --------------------------------------------------------- */

static pid_t spawn(char **argv, char **envp, const char *qemu_log,
		   int console_stdio)
{
	sigset_t all, old;
	pid_t parent = getpid(), pid;

	/* no signal may run our handler in the child between fork and exec */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		int fd = open(qemu_log,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGINT, console_stdio ? SIG_IGN : SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd >= 0) {
			if (!console_stdio)
				dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0 && !console_stdio)
			dup2(nul, 0);
		execvpe(argv[0], argv, envp);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/*
 * QEMU's environment: torn's, with the write-tracking shim preloaded
 * when cfg asks for it (wp.h); NULL: torn's as it is.  Built before the
 * fork, since the child of a threaded torn may not allocate.
 */
/*
 * The shim's status file of cfg's guest, taken away before QEMU starts
 * (torn_wp_open reads what this QEMU's shim wrote) into status.
 */
static void wp_status_reset(const struct torn_vm_config *cfg, char *status,
			    size_t len)
{
	snprintf(status, len, "%s/" TORN_WP_STATUS_NAME, cfg->workdir);
	unlink(status);
}

static char **spawn_env(const struct torn_vm_config *cfg)
{
	char **env;
	char status[4200];

	if (!cfg->wp_shim || !cfg->pm_path)
		return NULL;
	wp_status_reset(cfg, status, sizeof(status));
	env = g_get_environ();
	env = g_environ_setenv(env, "LD_PRELOAD", cfg->wp_shim, TRUE);
	env = g_environ_setenv(env, "TORN_WP_FILE", cfg->pm_path, TRUE);
	return g_environ_setenv(env, "TORN_WP_STATUS", status, TRUE);
}

pid_t torn_vm_pid(const struct torn_vm *vm)
{
	return vm->pid;
}

static void release(struct torn_vm *vm)
{
	vm_libvirt_close(vm, 1);
	if (vm->slot >= 0)
		__atomic_store_n(&live_pids[vm->slot], -1, __ATOMIC_SEQ_CST);
	if (vm->sock >= 0)
		close(vm->sock);
	torn_buf_free(&vm->frame);
	free(vm->workdir);
	free(vm->console_path);
	free(vm);
}

void torn_vm_kill(struct torn_vm *vm)
{
	if (!vm)
		return;
	/* a libvirt domain is destroyed by release() */
	if (!vm->dom && vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	release(vm);
}

const char *vm_file_tail(const char *path, size_t max)
{
	/* per thread: checker threads report their guests' at once */
	static __thread char buf[4096];
	FILE *f;
	long size;
	size_t n;

	buf[0] = 0;
	if (max >= sizeof(buf))
		max = sizeof(buf) - 1;
	f = fopen(path, "r");
	if (!f)
		return buf;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)max ? size - (long)max : 0, SEEK_SET);
	n = fread(buf, 1, max, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

const char *torn_vm_console_tail(const struct torn_vm *vm, size_t max)
{
	return vm_file_tail(vm->console_path, max);
}

int vm_connect_sock(struct torn_vm *vm, const char *name, long long deadline,
		    int *out, struct torn_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char qemu_log[4096];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", vm->workdir, name);
	snprintf(qemu_log, sizeof(qemu_log), "%s/qemu.log", vm->workdir);
	for (;;) {
		int status, fd;

		if (vm->dom && !vm_libvirt_active(vm))
			return torn_err_set(
				err, TORN_E_GUEST,
				"the libvirt domain stopped at start; "
				"console: %s",
				vm_file_tail(vm->console_path, 300));
		if (!vm->dom && vm->pid > 0 &&
		    waitpid(vm->pid, &status, WNOHANG) == vm->pid)
			vm->pid = -1;
		if (!vm->dom && vm->pid <= 0)
			return torn_err_set(err, TORN_E_GUEST,
					    "qemu exited at start: %s",
					    vm_file_tail(qemu_log, 300));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return torn_err_set(err, -errno, "socket: %s",
					    strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			*out = fd;
			return 0;
		}
		close(fd);
		if (interrupted)
			return torn_err_set(err, TORN_E_INTERRUPTED,
					    "interrupted");
		if (torn_now_ms() > deadline)
			return torn_err_set(err, TORN_E_TIMEOUT,
					    "qemu did not open %s",
					    sa.sun_path);
		usleep(10000);
	}
}

/* Connect to QEMU's agent socket, waiting while QEMU starts up. */
static int connect_agent(struct torn_vm *vm, long long deadline,
			 struct torn_err *err)
{
	return vm_connect_sock(vm, "agent.sock", deadline, &vm->sock, err);
}

/* The agent's hello, its kernel release into vm->release. */
static int await_hello(struct torn_vm *vm, long long deadline, int timeout,
		       struct torn_err *err)
{
	struct torn_proto_msg msg;
	int ret = torn_proto_recv(vm->sock, (int)(deadline - torn_now_ms()),
				  &vm->frame, &msg, err);

	if (ret) {
		const char *tail = torn_vm_console_tail(vm, 400);

		if (ret == TORN_E_TIMEOUT)
			return torn_err_set(
				err, ret,
				"guest agent did not answer within %d s; console: %s",
				timeout / 1000, tail);
		return torn_err_set(
			err, ret == TORN_E_FORMAT ? TORN_E_GUEST : ret,
			"no hello from the guest agent (%s); console: %s",
			err->msg, tail);
	}
	if (!torn_proto_field_is(&msg, 0, "hello") || msg.nfields < 3) {
		torn_proto_msg_clear(&msg);
		return torn_err_set(
			err, TORN_E_GUEST,
			"guest agent sent something other than hello");
	}
	snprintf(vm->release, sizeof(vm->release), "%.*s",
		 (int)(msg.fields[2].len < 127 ? msg.fields[2].len : 127),
		 (const char *)msg.fields[2].data);
	torn_proto_msg_clear(&msg);
	return 0;
}

int torn_vm_start(const struct torn_vm_config *cfg, struct torn_vm **out,
		  struct torn_err *err)
{
	long long t0 = torn_now_ms(), deadline;
	struct torn_vm *vm;
	char qemu_log[4096], sock[4096];
	char **argv, **envp;
	int ret, timeout = cfg->boot_timeout_ms > 0 ? cfg->boot_timeout_ms
						    : 300000;

	argv = NULL;
	ret = cfg->libvirt_uri ? 0 : torn_vm_build_argv(cfg, &argv);
	if (ret)
		return torn_err_set(err, ret, "bad guest configuration: %s",
				    torn_strerror(ret));
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		torn_vm_argv_free(argv);
		return torn_err_set(err, -ENOMEM, "out of memory");
	}
	vm->sock = -1;
	vm->slot = -1;
	vm->pid = -1;
	vm->workdir = strdup(cfg->workdir);
	if (asprintf(&vm->console_path, "%s/console.log", cfg->workdir) < 0)
		vm->console_path = NULL;
	snprintf(qemu_log, sizeof(qemu_log), "%s/qemu.log", cfg->workdir);
	snprintf(sock, sizeof(sock), "%s/qmp.sock", cfg->workdir);
	unlink(sock);
	snprintf(sock, sizeof(sock), "%s/agent.sock", cfg->workdir);
	unlink(sock);
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		torn_vm_argv_free(argv);
		release(vm);
		return torn_err_set(
			err, TORN_E_RANGE,
			"work directory path too long for a socket: %s",
			cfg->workdir);
	}
	if (cfg->libvirt_uri) {
		char status[4200];

		if (cfg->wp_shim)
			wp_status_reset(cfg, status, sizeof(status));
		ret = vm_libvirt_start(cfg, vm, err);
		if (ret) {
			release(vm);
			return ret;
		}
	} else {
		envp = spawn_env(cfg);
		vm->pid = spawn(argv, envp ? envp : environ, qemu_log,
				cfg->console_stdio);
		torn_vm_argv_free(argv);
		g_strfreev(envp);
		if (vm->pid < 0) {
			ret = -errno;
			release(vm);
			return torn_err_set(err, ret, "fork: %s",
					    strerror(-ret));
		}
	}
	if (vm->pid > 0)
		vm->slot = claim_slot(vm->pid);
	deadline = t0 + timeout;
	if (cfg->incoming) {
		/* a saved guest loads in about a second: a minute is ample */
		if (deadline > t0 + 60000)
			deadline = t0 + 60000;
		ret = vm_snap_incoming(vm, cfg->incoming, deadline, err);
		if (!ret)
			ret = connect_agent(vm, deadline, err);
		if (!ret)
			ret = vm_snap_greet(vm, deadline, err);
		snprintf(vm->release, sizeof(vm->release), "%s",
			 cfg->incoming_release ? cfg->incoming_release : "");
	} else {
		/* a remote domain's agent port is a stream already
		 * (vm_libvirt.c) */
		ret = vm->sock >= 0 ? 0 : connect_agent(vm, deadline, err);
		if (!ret)
			ret = await_hello(vm, deadline, timeout, err);
	}
	if (ret)
		goto out_kill;
	vm->boot_ms = torn_now_ms() - t0;
	*out = vm;
	return 0;
out_kill:
	torn_vm_kill(vm);
	return ret;
}

int torn_vm_call(struct torn_vm *vm, int timeout_ms, size_t nargs,
		 const char *const *args, struct torn_proto_msg *reply,
		 struct torn_err *err)
{
	struct torn_buf req = { 0 };
	int ret;

	memset(reply, 0, sizeof(*reply));
	ret = torn_proto_encode_strv(&req, TORN_PROTO_REQUEST, nargs, args);
	if (!ret)
		ret = torn_proto_send(vm->sock, &req);
	torn_buf_free(&req);
	if (ret)
		return torn_err_set(err, ret, "sending '%s' to the agent: %s",
				    nargs ? args[0] : "", torn_strerror(ret));
	ret = torn_proto_recv(vm->sock, timeout_ms, &vm->frame, reply, err);
	if (ret == TORN_E_TIMEOUT)
		return torn_err_set(err, ret,
				    "agent did not answer '%s' within %d ms",
				    nargs ? args[0] : "", timeout_ms);
	if (ret == TORN_E_FORMAT)
		return TORN_E_GUEST; /* err says what was wrong */
	if (ret)
		return torn_err_set(err, ret,
				    "agent connection lost during '%s': %s",
				    nargs ? args[0] : "", torn_strerror(ret));
	if (reply->kind == TORN_PROTO_ERROR ||
	    !torn_proto_field_is(reply, 0, "ok")) {
		char *text = torn_proto_field_dup(reply, 0);

		torn_err_set(err, TORN_E_GUEST, "%.400s", text ? text : "?");
		free(text);
		torn_proto_msg_clear(reply);
		return TORN_E_GUEST;
	}
	return 0;
}

const char *torn_vm_get_kernel_release(const struct torn_vm *vm)
{
	return vm->release;
}

long torn_vm_get_boot_ms(const struct torn_vm *vm)
{
	return vm->boot_ms;
}

int torn_vm_stop(struct torn_vm *vm, int timeout_ms)
{
	static const char *const off[] = { "poweroff" };
	struct torn_proto_msg msg;
	long long deadline = torn_now_ms() + timeout_ms;
	int status = 0, ret;

	if (!vm)
		return 0;
	if (!torn_vm_call(vm, timeout_ms, 1, off, &msg, NULL))
		torn_proto_msg_clear(&msg);
	if (vm->dom) {
		ret = vm_libvirt_wait(vm, deadline);
		torn_vm_kill(vm);
		return ret;
	}
	while (vm->pid > 0 && torn_now_ms() < deadline) {
		pid_t r = waitpid(vm->pid, &status, WNOHANG);

		if (r == vm->pid) {
			vm->pid = -1;
			break;
		}
		usleep(20000);
	}
	if (vm->pid > 0) {
		torn_vm_kill(vm);
		return TORN_E_TIMEOUT;
	}
	release(vm);
	return status;
}

int torn_vm_wait(struct torn_vm *vm)
{
	int status = 0;

	if (!vm)
		return 0;
	if (vm->dom) {
		status = vm_libvirt_wait(vm, 0);
		release(vm);
		return status;
	}
	while (vm->pid > 0 && waitpid(vm->pid, &status, 0) < 0 &&
	       errno == EINTR)
		;
	vm->pid = -1;
	release(vm);
	return status;
}
