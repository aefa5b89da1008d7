/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The symbols of a run directory (lib/symbols filled from what the run
 * kept): kernel PCs from its kallsyms capture, and from vmlinux when the
 * kernel's debug package is installed; user PCs from the files of its
 * maps (the workload's memory map as it exited): the program, out of the
 * build for a built-in workload or out of stage.cpio for a user's test,
 * and the shared libraries from the host, where the kit copied them from.
 */
#ifndef TORN_RUN_SYMS_H
#define TORN_RUN_SYMS_H

#include "symbols.h"

/*
 * Never NULL, never fails: what cannot be loaded is left out.  workload:
 * meta.json's name ("" unknown); kernel: its guest kernel release ("").
 */
struct torn_syms *torn_run_syms(const char *dir, const char *workload,
				const char *kernel);

/* Where the debug vmlinux of release is looked for ($TORN_DEBUG_ROOT). */
char *torn_run_syms_vmlinux(const char *kernel);

#endif
