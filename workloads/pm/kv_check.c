/* torn-pm-kv-check TARGET: the custom oracle of pmemobj-kv. */
#include <stdio.h>

#include "kv_fmt.h"

int main(int argc, char **argv)
{
	struct pm_markers mk;
	char path[4096], why[600];
	int r;

	if (argc != 2) {
		fprintf(stderr,
			"usage: %s TARGET (mount point, device-dax or pool file)\n",
			argv[0]);
		return PM_ERROR;
	}
	if (pm_markers_from_env(&mk)) {
		fprintf(stderr, "%s: malformed TORN_MARKERS or TORN_LAST_DURABLE\n",
			argv[0]);
		return PM_ERROR;
	}
	if (pm_target_path(argv[1], KV_FILE, path, sizeof(path))) {
		fprintf(stderr, "%s: target path too long\n", argv[0]);
		return PM_ERROR;
	}
	r = kv_check(path, &mk, why, sizeof(why));
	if (r == PM_INCONSISTENT)
		printf("%s\n", why);
	else if (r != PM_CONSISTENT)
		fprintf(stderr, "%s: %s\n", argv[0], why);
	return r;
}
