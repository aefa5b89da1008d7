/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A program that needs a library only its build directory has. */
int torn_test_missing_lib(void);

int main(void)
{
	return torn_test_missing_lib();
}
