/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QEMU backend: boot a guest with an emulated NVDIMM and talk to its agent.
 */
#ifndef TORN_VM_H
#define TORN_VM_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "torn_err.h"

#define TORN_VM_PM_ADDR 0x100000000ull /* NVDIMM pinned at 4 GiB */

/* What the guest CPU offers and how the NVDIMM declares persistence. */
enum torn_flush_mode {
	TORN_FLUSH_MODE_CLWB = 0, /* -cpu max: clwb, clflushopt, clflush */
	TORN_FLUSH_MODE_CLFLUSHOPT, /* no clwb */
	TORN_FLUSH_MODE_CLFLUSH, /* no clwb, no clflushopt */
	TORN_FLUSH_MODE_EADR, /* nvdimm-persistence=cpu */
	TORN_FLUSH_MODE_NT, /* as clwb; libpmem forced onto NT stores */
};

/* Parse "clwb" etc.; returns the mode or -1. */
int torn_flush_mode_parse(const char *s);
const char *torn_flush_mode_name(int mode);

struct torn_vm_config {
	const char *qemu; /* default "qemu-system-x86_64" */
	const char *kernel;
	const char *initrd;
	const char *append; /* extra kernel arguments, may be NULL */
	const char *pm_path; /* NVDIMM backing file (must exist, pm_size) */
	uint64_t pm_size;
	unsigned int mem_mb; /* guest RAM, default 512 */
	unsigned int smp; /* default 1 */
	int flush_mode; /* enum torn_flush_mode */
	const char *plugin; /* "PATH,key=val,..." or NULL */
	const char *workdir; /* holds console.log, qemu.log, agent.sock */
	int console_stdio; /* console on the terminal (interactive shell) */
	int boot_timeout_ms; /* default 300000 */
	/*
	 * The write-tracking shim (wp.h) preloaded into QEMU to track the
	 * guest's writes to pm_path; NULL: none.
	 */
	const char *wp_shim;
	/*
	 * The shim's status file (NULL: WORKDIR/wp.status) and, on another
	 * host's hypervisor, its ask and answer files (wp_scan.h; NULL:
	 * torn scans QEMU's pagemap itself).  Paths on QEMU's host.
	 */
	const char *wp_status, *wp_ask, *wp_answer;
	/*
	 * A second disk, the guest's /dev/vda (a block cache's origin);
	 * NULL: none.  Its writes go to a throw-away overlay unless
	 * origin_writable (the base image's mkfs).
	 */
	const char *origin_path;
	int origin_writable;
	/*
	 * --backend libvirt[:URI]: the guest as a transient libvirt domain
	 * on this URI (vm_libvirt.c); NULL: QEMU started by torn
	 */
	const char *libvirt_uri;
	/*
	 * pm_path names a file on the hypervisor's host, not this one's (a
	 * torn_vm_store volume): the only way a guest of a remote URI runs.
	 */
	int pm_remote;
	/*
	 * Warm start (vm_snap.c).  savable: QEMU gets a QMP socket in
	 * workdir and its RAM as a named backend, so that torn_vm_save can
	 * write the guest out.  incoming: the guest is not booted but
	 * started from that saved file (savable implied), and its agent's
	 * hello is the ping it answers; release: the kernel release that
	 * guest said in its hello.
	 */
	int savable;
	const char *incoming, *incoming_release;
};

struct torn_vm;

/*
 * The QEMU argument vector for cfg (NULL-terminated, malloc'd strings).
 * Pure: unit-tested.  Free with torn_vm_argv_free.
 */
int torn_vm_build_argv(const struct torn_vm_config *cfg, char ***argv);
void torn_vm_argv_free(char **argv);

/*
 * The libvirt domain XML of the same guest, named name (g_free).  Pure:
 * unit-tested.  TORN_E_USAGE for what a domain cannot be (the console on
 * the terminal), as torn_vm_build_argv for the rest.
 */
int torn_vm_build_domain_xml(const struct torn_vm_config *cfg, const char *name,
			     char **out);

/*
 * Whether guests can start on --backend libvirt:uri (NULL: QEMU, 0): a
 * remote URI is TORN_E_USAGE, a daemon that does not answer TORN_E_GUEST,
 * each with one line in err.  For the commands to say so before a boot.
 */
int torn_vm_backend_check(const char *uri, struct torn_err *err);

/* Whether uri names another host's hypervisor (NULL: torn's QEMU, no). */
int torn_vm_backend_remote(const char *uri);

/*
 * Files on a remote hypervisor's host, for --backend libvirt:URI where
 * the URI is not this host's (vm_store.c): volumes of the directory
 * storage pool "torn" there (defined and built at
 * /var/lib/libvirt/images/torn when missing), moved through the libvirt
 * connection alone.  Each call returns 0 or an error with one line in
 * err.  A store is used by one thread at a time.
 */
struct torn_vm_store;
typedef void (*torn_vm_store_fn)(uint64_t off, const void *buf, size_t len,
				 void *ctx);

int torn_vm_store_open(const char *uri, struct torn_vm_store **out,
		       struct torn_err *err);
void torn_vm_store_close(struct torn_vm_store *s);
/* A volume of size bytes (zeros; one of that name is replaced): its path
 * on the other host in *rpath (free). */
int torn_vm_store_create(struct torn_vm_store *s, const char *name,
			 uint64_t size, char **rpath, struct torn_err *err);
/* Write buf to [off, off + len) of the volume. */
int torn_vm_store_write(struct torn_vm_store *s, const char *name, uint64_t off,
			const void *buf, uint64_t len, struct torn_err *err);
/* Read [off, off + len) of the volume (len 0: to its end), handed to fn
 * in order, in pieces of at most 1 MiB. */
int torn_vm_store_read(struct torn_vm_store *s, const char *name, uint64_t off,
		       uint64_t len, torn_vm_store_fn fn, void *ctx,
		       struct torn_err *err);
/* At most len bytes from off of the volume into buf: how many (0 and
 * err set on an error). */
size_t torn_vm_store_read_small(struct torn_vm_store *s, const char *name,
				uint64_t off, void *buf, size_t len,
				struct torn_err *err);
void torn_vm_store_delete(struct torn_vm_store *s, const char *name);
/*
 * Delete the volumes torn-HOST-PID-... there whose torn, a process of
 * this host named host, is gone (killed before it could delete them):
 * how many.
 */
int torn_vm_store_sweep(struct torn_vm_store *s, const char *host);
/* The local file there, uploaded once per (path, size, mtime): *rpath. */
int torn_vm_store_put_file(struct torn_vm_store *s, const char *local,
			   char **rpath, struct torn_err *err);

/*
 * Boot a guest and wait for its agent's hello (readiness comes from the
 * agent, never from a sleep).  On error no QEMU process is left.
 */
int torn_vm_start(const struct torn_vm_config *cfg, struct torn_vm **out,
		  struct torn_err *err);

/*
 * Save a guest torn started (not a libvirt domain) to path: its RAM and
 * devices as a QEMU migration stream without the NVDIMM (capability
 * x-ignore-shared), written to path.PID.tmp and renamed.  The guest
 * stops while it is written and then goes on; 0 once its agent
 * answers again.  Needs cfg->savable.
 */
int torn_vm_save(struct torn_vm *vm, const char *path, struct torn_err *err);

/*
 * Send one request (args are the fields) and wait for the reply.  The
 * reply's fields point into the vm's frame buffer and stay valid until the
 * next call.  Returns 0 for an "ok" reply, TORN_E_GUEST for an error reply
 * (err holds the guest's text), TORN_E_TIMEOUT, or another code.
 */
int torn_vm_call(struct torn_vm *vm, int timeout_ms, size_t nargs,
		 const char *const *args, struct torn_proto_msg *reply,
		 struct torn_err *err);

/* The agent's hello: kernel release. */
const char *torn_vm_get_kernel_release(const struct torn_vm *vm);
/* QEMU's process id; -1 once it is known to have exited. */
pid_t torn_vm_pid(const struct torn_vm *vm);
/* Milliseconds from spawn to the agent's hello. */
long torn_vm_get_boot_ms(const struct torn_vm *vm);
/* The last bytes of the console log (for error reports): a buffer of the
 * calling thread's, valid until its next call. */
const char *torn_vm_console_tail(const struct torn_vm *vm, size_t max);

/*
 * Ask the agent to power off and wait up to timeout_ms for QEMU to exit,
 * then kill it.  Frees vm (NULL is a no-op).  Returns QEMU's exit status
 * or a negative code.
 */
int torn_vm_stop(struct torn_vm *vm, int timeout_ms);
/* Wait, however long it takes, for QEMU to exit by itself; frees vm. */
int torn_vm_wait(struct torn_vm *vm);
/* Kill QEMU at once and free vm. */
void torn_vm_kill(struct torn_vm *vm);

/*
 * Install SIGINT/SIGTERM/SIGHUP handlers that kill every live guest and
 * then die of the signal.  Guests are also started with PDEATHSIG, so a
 * torn that is killed outright takes its QEMU processes with it.
 */
void torn_vm_install_signal_handlers(void);
/* Non-zero once SIGINT/SIGTERM arrived (handlers installed). */
int torn_vm_interrupted(void);

#endif
