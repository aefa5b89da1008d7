/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the vm library: the guest handle both backends fill in. */
#ifndef TORN_VM_INT_H
#define TORN_VM_INT_H

#include <sys/types.h>

#include "proto.h"
#include "vm.h"

struct torn_vm {
	pid_t pid; /* QEMU; -1 once gone (or not known, under libvirt) */
	int sock;
	char *workdir;
	char *console_path;
	char release[128];
	long boot_ms;
	struct torn_buf frame;
	int slot;
	/* --backend libvirt (vm_libvirt.c): virConnectPtr, virDomainPtr */
	void *conn, *dom;
	/* a remote domain: its console and agent channel as streams, each
	 * pumped by threads (vm_libvirt.c) */
	struct vm_pump *console, *agent;
};

/*
 * vm_libvirt.c.  start: the domain of cfg started (vm->conn, vm->dom,
 * vm->pid when it can be found), or one line in err.  active: the domain
 * still runs.  wait: until it stops (deadline: torn_now_ms() value, 0
 * none): 0 or TORN_E_TIMEOUT.  close: destroy it (when destroy) and
 * close the connection.  uri_local: the URI names this host's
 * hypervisor.
 */
int vm_libvirt_start(const struct torn_vm_config *cfg, struct torn_vm *vm,
		     struct torn_err *err);
int vm_libvirt_active(const struct torn_vm *vm);
int vm_libvirt_wait(struct torn_vm *vm, long long deadline);
void vm_libvirt_close(struct torn_vm *vm, int destroy);
int vm_libvirt_uri_local(const char *uri);
/* libvirt's errors to torn's messages only, not to stderr; and the
 * last one's text. */
void vm_libvirt_quiet(void);
const char *vm_libvirt_error(void);

/* The last bytes (at most max) of a file, for error messages: a buffer
 * of the calling thread's, valid until its next call. */
const char *vm_file_tail(const char *path, size_t max);

/*
 * Connect to the Unix socket WORKDIR/name that QEMU listens on, waiting
 * while it starts up: the fd in *out, or an error (QEMU gone, the
 * deadline, a signal).
 */
int vm_connect_sock(struct torn_vm *vm, const char *name, long long deadline,
		    int *out, struct torn_err *err);

/*
 * vm_snap.c.  incoming: load the saved guest at path into the QEMU just
 * spawned with -incoming defer, until it runs.  greet: its agent
 * answers (the hello it sent went to the torn that saved it).
 */
int vm_snap_incoming(struct torn_vm *vm, const char *path, long long deadline,
		     struct torn_err *err);
int vm_snap_greet(struct torn_vm *vm, long long deadline, struct torn_err *err);

#endif
