/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --known and --strict, read for torn check, run and report (cli.h). */
#include <stdio.h>

#include "check.h"
#include "cli.h"
#include "options.h"

int cli_known_load(const char *cmd, const struct cli_known *k,
		   struct torn_known **out)
{
	struct torn_err err = { "" };

	if (!torn_check_known_load(out, (const char *const *)k->files, k->n,
				   &err))
		return 0;
	fprintf(stderr, "%s: %s\n", cmd, err.msg);
	return -1;
}
