/* Oracle and verdict names, and the verdict rule (verdict.h). */
#include <string.h>

#include <glib.h>

#include "verdict.h"

static const char *const oracle_names[TORN_O_COUNT] = {
	"mount",     "fsck",	  "dmesg",  "durability",
	"atomicity", "usability", "custom",
};

static const char *const verdict_names[TORN_V_COUNT] = {
	"consistent", "inconsistent", "unrecoverable", "timeout", "error",
};

const char *torn_oracle_name(int oracle)
{
	return oracle >= 0 && oracle < TORN_O_COUNT ? oracle_names[oracle] :
						      "?";
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
	return verdict >= 0 && verdict < TORN_V_COUNT ? verdict_names[verdict] :
							"?";
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
	char **v = g_strsplit(s, ",", -1), **p;
	int ret = 0;

	*set = 0;
	for (p = v; *p && !ret; p++) {
		int o = torn_oracle_parse(*p);

		if (!strcmp(*p, "all")) {
			*set = TORN_O_ALL;
		} else if (o >= 0) {
			*set |= TORN_O_BIT(o);
		} else {
			if (bad && badlen)
				g_strlcpy(bad, *p, badlen);
			ret = -1;
		}
	}
	g_strfreev(v);
	return ret;
}

int torn_verdict_combine(const struct torn_oracle_result *r,
			 unsigned int flags)
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
