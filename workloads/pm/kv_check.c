/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-kv-check TARGET: the custom oracle of pmemobj-kv. */
#include <stdio.h>

#include "kv_fmt.h"

int main(int argc, char **argv)
{
	struct pm_markers mk;
	char path[4096], why[600];
	int r;

	if (pm_checker_start(argc, argv, "mount point, device-dax or pool file",
			     KV_FILE, &mk, path, sizeof(path)))
		return PM_ERROR;
	r = kv_check(path, &mk, why, sizeof(why));
	if (r == PM_INCONSISTENT)
		printf("%s\n", why);
	else if (r != PM_CONSISTENT)
		fprintf(stderr, "%s: %s\n", argv[0], why);
	return r;
}
