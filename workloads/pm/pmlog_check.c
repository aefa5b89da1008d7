/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-pmlog-check TARGET: the custom oracle of pmlog and its bugs. */
#include <inttypes.h>
#include <stdio.h>

#include "pm_util.h"
#include "pmlog_fmt.h"

int main(int argc, char **argv)
{
	static uint8_t img[PMLOG_SIZE];
	struct pm_markers mk;
	char path[4096], why[512] = "";
	enum pm_load r;
	size_t got;

	if (pm_checker_start(argc, argv, "mount point, device-dax or log file",
			     PMLOG_FILE, &mk, path, sizeof(path)))
		return PM_ERROR;
	r = pm_load(path, img, sizeof(img), &got, why, sizeof(why));
	if (r != PM_LOAD_OK) {
		if (!mk.last_durable)
			return PM_CONSISTENT; /* nothing was promised yet */
		printf("%" PRIu64 " appends acknowledged, but %s\n",
		       mk.last_durable, why);
		return PM_INCONSISTENT;
	}
	if (pmlog_verify(img, got, mk.last_durable, why, sizeof(why))) {
		printf("%s\n", why);
		return PM_INCONSISTENT;
	}
	return PM_CONSISTENT;
}
