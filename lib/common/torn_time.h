/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monotonic time for timeouts, progress and the figures in verdicts. */
#ifndef TORN_TIME_H
#define TORN_TIME_H

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
long long torn_now_ms(void);

#endif
