/* torn check's checker pool and oracle runs, shared with torn replay. */
#ifndef TORN_CHECK_INTERNAL_H
#define TORN_CHECK_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "restore.h"
#include "guest.h"
#include "oracles.h"
#include "trace.h"

enum { V_CONSISTENT, V_INCONSISTENT, V_UNRECOVERABLE, V_TIMEOUT, V_ERROR };
extern const char *const verdict_names[];

enum oracle_bit {
	OR_MOUNT = 1 << 0,
	OR_FSCK = 1 << 1,
	OR_DMESG = 1 << 2,
	OR_DURABILITY = 1 << 3,
	OR_ATOMICITY = 1 << 4,
	OR_USABILITY = 1 << 5,
	OR_CUSTOM = 1 << 6,
	OR_ALL = (1 << 7) - 1,
};

extern const char *const oracle_names[];
#define N_ORACLES 7

struct job {
	char id[96];
	char engine[32];
	uint64_t point;
	uint64_t index;
	char image_hash[40];
	unsigned int flags;
};

struct checker;

/* The run being checked: read-only after set-up, but for the locked parts. */
struct check_run {
	const char *dir;
	struct guest_opts o;
	struct torn_kit kit;
	unsigned int oracles;
	int timeout_ms;
	int fs_kind;
	char checker_prog[256];
	struct oracle_expected *expected;
	struct oracle_marker *markers;
	size_t nmarkers;
	uint64_t from_record;	/* --from-op: crash points before it skipped */
	uint64_t pm_size;
	const uint8_t *base;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int verdict_fd;
	uint64_t done, by_verdict[5];
	GHashTable *semantic;	/* distinct semantic hashes */
	int stopping;
	int boot_per_state;	/* benchmark baseline: a fresh guest per state */
	FILE *verbose;		/* torn replay: every step's full output */
	uint64_t total;		/* unique states to check, for progress */
	long long t_start;	/* now_ms() when checking began */
};

struct checker {
	struct check_run *run;
	int idx;
	struct torn_vm *vm;
	char work[4096];
	char pm_path[4200];
	uint8_t *pm;	/* the backing file, shared with QEMU */
	uint8_t *img;	/* what the backing file must hold for the job */
	pthread_t thread;
	int has_job;	/* under run->lock */
	int quit;
	struct job job;
	uint64_t pages_restored;
	uint64_t boots;
};

struct oracle_result {
	int ran;
	int ok;
	char detail[600];
};

struct check_result {
	int verdict;
	int infra;	/* the guest failed us: restart and retry */
	struct oracle_result r[N_ORACLES];
	char semantic[65];
	char infra_detail[600];
	struct oracle_progress progress;
};

/* Boot c's guest on its backing file. */
int checker_boot(struct checker *c, struct torn_err *err);
/* Work directory, backing file (a copy of base_path), image buffers. */
int checker_init(struct checker *c, struct check_run *run, int idx,
		 const char *base_path);
void checker_fini(struct checker *c);
/*
 * Recover the image now in c's backing file and run the oracles on it;
 * with run->verbose set, every step's full output goes there too.
 * Returns 0, or -1 when the guest failed (res->infra set).
 */
int check_one(struct checker *c, struct check_result *res);
/* The markers of t into run->markers, in record order. */
void collect_markers(struct check_run *run, const struct torn_trace *t);
/* A string value of the flat meta.json torn trace writes. */
int meta_get(const char *meta, const char *key, char *out, size_t len);

#endif
