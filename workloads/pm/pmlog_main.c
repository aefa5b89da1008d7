/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-pmlog: append checksummed records to a log on a MAP_SYNC mapping. */
#include "pmlog.h"

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_DUAL, pmlog_append);
}
