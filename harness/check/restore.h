/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restoring a checker's NVDIMM backing file between crash states. */
#ifndef TORN_CHECK_RESTORE_H
#define TORN_CHECK_RESTORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Make dst equal want, 4 KiB page by page, copying only pages that
 * differ; returns how many were copied.  This is how a checker's NVDIMM
 * backing file is restored between states: recovery writes a few pages,
 * and comparing reads memory that a full copy would also write.
 */
uint64_t check_restore(uint8_t *dst, const uint8_t *want, size_t size);

#endif
