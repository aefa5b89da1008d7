/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-kv: puts into a libpmemobj transactional hash map (kv_fmt.h). */
#include <stdio.h>
#include <string.h>

#include "kv_fmt.h"

int main(int argc, char **argv)
{
	const char *target;
	char err[512];
	PMEMobjpool *pop;
	unsigned int i;
	int host, devdax, zero = 0;

	if (pm_parse_args(argc, argv, "/mnt/" KV_FILE, &target, &host))
		return 2;
	devdax = !strncmp(target, "/dev/", 5);
	/*
	 * No shutdown state in the pool: reading the unsafe-shutdown count
	 * needs a real DIMM, and the crash images are unsafe shutdowns.
	 */
	if (pmemobj_ctl_set(NULL, "sds.at_create", &zero))
		fprintf(stderr, "%s: sds.at_create: %s\n", argv[0],
			pmemobj_errormsg());
	/* a file: KV_POOL_SIZE zeros written first; device-dax: whole */
	if (!devdax && pm_create_file(target, KV_POOL_SIZE, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	pop = pmemobj_create(target, KV_LAYOUT, 0, 0644);
	if (!pop) {
		fprintf(stderr, "%s: pmemobj_create %s: %s\n", argv[0], target,
			pmemobj_errormsg());
		return 1;
	}
	if (kv_init_root(pop)) {
		fprintf(stderr, "%s: root: %s\n", argv[0], pmemobj_errormsg());
		pmemobj_close(pop);
		return 1;
	}
	for (i = 1; i <= KV_PUTS; i++) {
		const struct kv_put *p = &kv_puts[i - 1];
		char what[80];

		snprintf(what, sizeof(what), "put %llu=%s",
			 (unsigned long long)p->key, p->val);
		pm_op_begin(i, what);
		if (kv_put(pop, p->key, p->val)) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], what,
				pmemobj_errormsg());
			pmemobj_close(pop);
			return 1;
		}
		pm_op_end(i);
		pm_durable(i, what);
	}
	pmemobj_close(pop);
	printf("%s: %u puts into %s%s\n", argv[0], KV_PUTS, target,
	       host ? " (host mode)" : "");
	return 0;
}
