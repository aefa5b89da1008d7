/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Directory listings in a fixed order, for the guest programs that walk trees.
 */
#ifndef TORN_DIR_H
#define TORN_DIR_H

#include <stddef.h>

/*
 * The names in directory dirfd (which stays open; its offset is shared),
 * without "." and "..", sorted bytewise.  0 with *names (free with
 * torn_dir_names_free) and *n set, or -errno.
 */
int torn_dir_names(int dirfd, char ***names, size_t *n);
void torn_dir_names_free(char **names, size_t n);

#endif
