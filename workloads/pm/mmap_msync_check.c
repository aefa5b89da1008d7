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

	if (argc != 2) {
		fprintf(stderr, "usage: %s TARGET  (a mount point or the file)\n",
			argv[0]);
		return PM_ERROR;
	}
	if (pm_markers_from_env(&mk)) {
		fprintf(stderr, "%s: malformed TORN_MARKERS or TORN_LAST_DURABLE\n",
			argv[0]);
		return PM_ERROR;
	}
	if (pm_target_path(argv[1], MMS_FILE, path, sizeof(path))) {
		fprintf(stderr, "%s: target path too long\n", argv[0]);
		return PM_ERROR;
	}
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
