/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-mmap-msync: writes through a shared mapping, acked after msync. */
#include "mmsync.h"

int main(int argc, char **argv)
{
	return mms_main(argc, argv, 1);
}
