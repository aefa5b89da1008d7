/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The library needs_lib loads from its own directory ($ORIGIN). */
int torn_test_missing_lib(void);

int torn_test_missing_lib(void)
{
	return 0;
}
