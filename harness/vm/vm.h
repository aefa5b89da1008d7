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

/*
 * Boot a guest and wait for its agent's hello (readiness comes from the
 * agent, never from a sleep).  On error no QEMU process is left.
 */
int torn_vm_start(const struct torn_vm_config *cfg, struct torn_vm **out,
		  struct torn_err *err);

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
/* The last bytes of the console log (for error reports); static buffer. */
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
