/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report alone, for the tests: "report_cli report DIR ...". */
#include "cli.h"

int cmd_report(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc < 2)
		return TORN_EXIT_USAGE;
	return cmd_report(argc - 1, argv + 1);
}
