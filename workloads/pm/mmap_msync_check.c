/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-mmap-msync-check TARGET: oracle of mmap-msync and bug-nomsync. */
#include <inttypes.h>
#include <stdio.h>

#include "mmsync.h"
#include "pm_util.h"

int main(int argc, char **argv)
{
	static uint8_t img[MMS_SIZE];
	struct pm_markers mk;
	char path[4096], why[512] = "";
	enum pm_load r;
	size_t got;

	if (pm_checker_start(argc, argv, "a mount point or the file", MMS_FILE,
			     &mk, path, sizeof(path)))
		return PM_ERROR;
	r = pm_load(path, img, sizeof(img), &got, why, sizeof(why));
	if (r != PM_LOAD_OK && r != PM_LOAD_SHORT) {
		if (!mk.last_durable)
			return PM_CONSISTENT; /* nothing was promised yet */
		printf("%" PRIu64 " writes acknowledged, but %s\n",
		       mk.last_durable, why);
		return PM_INCONSISTENT;
	}
	if (mms_verify(img, got, mk.last_durable, why, sizeof(why))) {
		printf("%s\n", why);
		return PM_INCONSISTENT;
	}
	return PM_CONSISTENT;
}
