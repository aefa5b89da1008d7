/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn kernel: build guest kernels from linux-source, list them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kernel.h"
#include "kit.h"

static void kernel_usage(FILE *f)
{
	fprintf(f,
		"usage: torn kernel build [--gcov] [--patches DIR]\n"
		"                         [--config-fragment FILE] [--name NAME]\n"
		"                         [--source TARBALL] [--base-config FILE]\n"
		"                         [-j N] [--cached] [--cache DIR]\n"
		"       torn kernel list [--cache DIR]\n"
		"       torn kernel show SPEC [--cache DIR]\n"
		"Builds a guest kernel from Debian's linux-source-6.1: the stock\n"
		"config with its modules off, kernel-patches/torn.config, your\n"
		"fragment, your patches.  Cached by the hash of all of it: a second\n"
		"build of the same is a no-op.  Use it with --kernel built:HASH (or\n"
		"built:NAME) in torn kit, trace, check and run (docs/kernels.md).\n\n"
		"  --gcov                 profile the recovery code for torn coverage\n"
		"                         (fs/ext4, fs/jbd2, fs/xfs, fs/btrfs, fs/dax.c,\n"
		"                         drivers/nvdimm, drivers/dax, nfit, dm-writecache)\n"
		"  --patches DIR          DIR/series names the patches, in order (-p1,\n"
		"                         or -pN after a name), quilt-style\n"
		"  --config-fragment FILE CONFIG_X=y / # CONFIG_X is not set lines, last\n"
		"  --name NAME            a name for the build besides its hash\n"
		"  --source TARBALL       default /usr/src/linux-source-6.1.tar.xz\n"
		"  --base-config FILE     default the stock kernel's /boot/config-REL\n"
		"  -j N                   make jobs (default: the number of cores)\n"
		"  --cached               never build: exit 4 when it is not built yet\n"
		"Prints the build's id (built:HASH16), its vmlinuz and modules on stdout.\n"
		"Exit status: 0 built or cached, 2 usage, 3 the build failed, 4 not\n"
		"built (--cached).\n");
}

static void print_kernel(const struct torn_kernel *k)
{
	printf("kernel %s\nrelease %s\nvmlinuz %s\nmodules %s\nlog %s\ngcov %s\n",
	       k->id, k->release, k->vmlinuz, k->modules, k->log,
	       k->gcov ? "yes" : "no");
}

int cmd_kernel(int argc, char **argv)
{
	struct torn_kernel_build_opts o = { .progress = stderr };
	const char *cache = NULL, *sub = argc > 1 ? argv[1] : NULL;
	const char *spec = NULL;
	char cache_dir[4096];
	struct torn_err err = { "" };
	struct torn_kernel k;
	int i, ret;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		kernel_usage(sub ? stdout : stderr);
		return sub ? TORN_EXIT_OK : TORN_EXIT_USAGE;
	}
	if (strcmp(sub, "build") && strcmp(sub, "list") &&
	    strcmp(sub, "show")) {
		fprintf(stderr, "torn kernel: unknown subcommand '%s'\n", sub);
		kernel_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		int valued = !strcmp(a, "--patches") ||
			     !strcmp(a, "--config-fragment") ||
			     !strcmp(a, "--name") || !strcmp(a, "--source") ||
			     !strcmp(a, "--base-config") || !strcmp(a, "-j") ||
			     !strcmp(a, "--cache");
		const char *v = valued && i + 1 < argc ? argv[i + 1] : NULL;

		if (valued && !v) {
			fprintf(stderr, "torn kernel: %s needs a value\n", a);
			return TORN_EXIT_USAGE;
		}
		if (valued)
			i++;
		if (!strcmp(a, "--cache")) {
			cache = v;
		} else if (!strcmp(a, "--help")) {
			kernel_usage(stdout);
			return TORN_EXIT_OK;
		} else if (strcmp(sub, "build")) {
			if (!strcmp(sub, "show") && !spec && a[0] != '-') {
				spec = a;
				continue;
			}
			fprintf(stderr, "torn kernel %s: unknown option '%s'\n",
				sub, a);
			return TORN_EXIT_USAGE;
		} else if (!strcmp(a, "--cached")) {
			o.cached_only = 1;
		} else if (!strcmp(a, "--gcov")) {
			o.gcov = 1;
		} else if (!strcmp(a, "--patches")) {
			o.patches = v;
		} else if (!strcmp(a, "--config-fragment")) {
			o.fragment = v;
		} else if (!strcmp(a, "--name")) {
			o.name = v;
		} else if (!strcmp(a, "--source")) {
			o.source = v;
		} else if (!strcmp(a, "--base-config")) {
			o.base_config = v;
		} else if (!strcmp(a, "-j")) {
			char *end;
			long n = strtol(v, &end, 10);

			if (*end || n < 1 || n > 1024) {
				fprintf(stderr,
					"torn kernel build: -j takes 1 to 1024, not '%s'\n",
					v);
				return TORN_EXIT_USAGE;
			}
			o.jobs = (int)n;
		} else {
			fprintf(stderr,
				"torn kernel build: unknown option '%s'\n", a);
			kernel_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	ret = torn_cache_dir(cache, cache_dir, sizeof(cache_dir));
	if (ret) {
		fprintf(stderr,
			"torn kernel: cannot create cache directory %s: %s\n",
			cache_dir, strerror(-ret));
		return TORN_EXIT_INFRA;
	}
	if (!strcmp(sub, "list")) {
		ret = torn_kernel_list(cache_dir, stdout);
		if (ret == 0)
			fprintf(stderr, "torn: no built kernel in %s/kernels\n",
				cache_dir);
		return TORN_EXIT_OK;
	}
	if (!strcmp(sub, "show")) {
		if (!spec) {
			fprintf(stderr,
				"torn kernel show: which kernel? (built:HASH or a name)\n");
			return TORN_EXIT_USAGE;
		}
		ret = torn_kernel_find(cache_dir, spec, &k, &err);
		if (ret) {
			fprintf(stderr, "torn kernel show: %s\n", err.msg);
			return ret == TORN_E_USAGE || ret == TORN_E_NOTFOUND
				       ? TORN_EXIT_USAGE
				       : TORN_EXIT_INFRA;
		}
		print_kernel(&k);
		return TORN_EXIT_OK;
	}
	o.cache_dir = cache_dir;
	ret = torn_kernel_build(&o, &k, &err);
	if (ret) {
		fprintf(stderr, "torn kernel build: %s\n", err.msg);
		return ret == TORN_E_USAGE || ret == TORN_E_NOTFOUND
			       ? TORN_EXIT_USAGE
			       : TORN_EXIT_INFRA;
	}
	if (!k.built) {
		fprintf(stderr,
			"torn: kernel %s is not built (torn kernel build without --cached builds it)\n",
			k.id);
		return TORN_EXIT_EMPTY;
	}
	if (k.reused)
		fprintf(stderr,
			"torn: kernel %s is built already; nothing to do\n",
			k.id);
	print_kernel(&k);
	return TORN_EXIT_OK;
}
