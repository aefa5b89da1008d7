/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Directory listings in a fixed order. */
#include "torn_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void torn_dir_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int torn_dir_names(int dirfd, char ***names, size_t *n)
{
	char **v = NULL;
	size_t k = 0, cap = 0;
	struct dirent *e;
	int fd = dup(dirfd), ret = 0;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* the dup shares dirfd's offset: list from the start */
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (k == cap) {
			char **p;

			cap = cap ? 2 * cap : 32;
			p = realloc(v, cap * sizeof(*p));
			if (!p) {
				ret = -ENOMEM;
				break;
			}
			v = p;
		}
		v[k] = strdup(e->d_name);
		if (!v[k]) {
			ret = -ENOMEM;
			break;
		}
		k++;
	}
	closedir(d);
	if (ret) {
		torn_dir_names_free(v, k);
		return ret;
	}
	if (k)
		qsort(v, k, sizeof(*v), by_name);
	*names = v;
	*n = k;
	return 0;
}
