/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmlog writer: the steps of an append, and the program around them. */
#ifndef TORN_PMLOG_H
#define TORN_PMLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pm_util.h"
#include "pmlog_fmt.h"

struct pmlog {
	struct pm_map map;
	uint8_t *base;
	uint32_t format;
	uint64_t count; /* records committed so far */
	uint64_t end; /* where they end, relative to the data area */
};

/* One append: record log->count + 1 written, persisted and committed. */
typedef void (*pmlog_append_fn)(struct pmlog *log);

/*
 * The whole program: arguments ([--host] [TARGET]), map, create the log
 * in format fmt, PMLOG_APPENDS appends with append between the markers
 * (OP_BEGIN N, OP_END N, DURABLE N), unmap.  Exit status.
 */
int pmlog_main(int argc, char **argv, uint32_t fmt, pmlog_append_fn append);

/* The correct append. */
void pmlog_append(struct pmlog *log);

/*
 * The steps, for appends written elsewhere (the seeded bugs).  Stores
 * only: nothing is flushed or fenced.
 */
/* Record log->count + 1 at log->end; its address, *size its bytes. */
uint8_t *pmlog_store_record(struct pmlog *log, size_t *size);
/* Commit {count, end} into slot count % 2 ({count, end, csum}); the slot. */
uint8_t *pmlog_store_commit(struct pmlog *log, uint64_t count, uint64_t end);

#endif
