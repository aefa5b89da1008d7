/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Oracle and verdict names (torn_verdict.h). */
#include <stdio.h>
#include <string.h>

#include "torn_verdict.h"

static const char *const oracle_names[TORN_O_COUNT] = {
	"mount",     "fsck",	  "dmesg",  "durability",
	"atomicity", "usability", "custom",
};

static const char *const verdict_names[TORN_V_COUNT] = {
	"consistent", "inconsistent", "unrecoverable", "timeout", "error",
};

const char *torn_oracle_name(int oracle)
{
	return oracle >= 0 && oracle < TORN_O_COUNT ? oracle_names[oracle]
						    : "?";
}

int torn_oracle_parse(const char *s)
{
	int o;

	for (o = 0; s && o < TORN_O_COUNT; o++)
		if (!strcmp(s, oracle_names[o]))
			return o;
	return -1;
}

const char *torn_verdict_name(int verdict)
{
	return verdict >= 0 && verdict < TORN_V_COUNT ? verdict_names[verdict]
						      : "?";
}

int torn_verdict_parse(const char *s)
{
	int v;

	for (v = 0; s && v < TORN_V_COUNT; v++)
		if (!strcmp(s, verdict_names[v]))
			return v;
	return -1;
}

int torn_oracle_set_parse(const char *s, unsigned int *set, char *bad,
			  size_t badlen)
{
	const char *p = s;

	*set = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		char name[32];
		int o;

		if (n >= sizeof(name))
			goto bad_name;
		memcpy(name, p, n);
		name[n] = '\0';
		o = torn_oracle_parse(name);
		if (!strcmp(name, "all"))
			*set = TORN_O_ALL;
		else if (o >= 0)
			*set |= TORN_O_BIT(o);
		else
			goto bad_name;
		if (!p[n])
			return 0;
		p += n + 1;
		continue;
	bad_name:
		if (bad && badlen)
			snprintf(bad, badlen, "%.*s", (int)n, p);
		return -1;
	}
}
