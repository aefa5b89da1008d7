/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict rule (verdict.h). */
#include "verdict.h"

int torn_verdict_combine(const struct torn_oracle_result *r, unsigned int flags)
{
	int o;

	if (flags & TORN_J_TIMEOUT)
		return TORN_V_TIMEOUT;
	if (flags & TORN_J_ERROR)
		return TORN_V_ERROR;
	if (!(flags & (TORN_J_NOMOUNT | TORN_J_MOUNTED)) &&
	    r[TORN_O_MOUNT].ran && !r[TORN_O_MOUNT].ok)
		return TORN_V_UNRECOVERABLE;
	for (o = 0; o < TORN_O_COUNT; o++)
		if (r[o].ran && !r[o].ok)
			return TORN_V_INCONSISTENT;
	return TORN_V_CONSISTENT;
}
