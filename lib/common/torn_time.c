/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monotonic time (torn_time.h). */
#include <time.h>

#include "torn_time.h"

long long torn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
