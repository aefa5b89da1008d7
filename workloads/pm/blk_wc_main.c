/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-blk-wc DEVICE: blk-wc, each round flushed before it is acknowledged. */
#include "blkwc.h"

int main(int argc, char **argv)
{
	return blk_main(argc, argv, 1);
}
