/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest side of the tracer's vm test: stores and flushes on ext4-DAX. */
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "torn_mark.h"
#include "tracer_vm.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define PAGE 4096

static void die(const char *what)
{
	fprintf(stderr, "tracer-vm-guest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put64(char *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}

int main(int argc, char **argv)
{
	char path[256], zero[PAGE] = { 0 }, nt64[64];
	char stack_line[128] __attribute__((aligned(64))) = { 0 };
	char *sync_map, *plain_map;
	bool stop = true;
	int fd, i;

	if (argc == 3 && !strcmp(argv[2], "--no-stop")) {
		stop = false;
	} else if (argc != 2) {
		fprintf(stderr, "usage: tracer-vm-guest DAX-DIR [--no-stop]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/traced", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	/* Allocate and write every page now, so no fault zeroes one later. */
	for (i = 0; i < 4; i++)
		if (pwrite(fd, zero, PAGE, (off_t)i * PAGE) != PAGE)
			die("pwrite zero");
	if (fsync(fd))
		die("fsync");
	sync_map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (sync_map == MAP_FAILED)
		die("mmap MAP_SYNC");
	plain_map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 2 * PAGE);
	if (plain_map == MAP_FAILED)
		die("mmap");
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)sync_map))
		die("arch_prctl");
	for (i = 0; i < 64; i++)
		nt64[i] = (char)NT64_BYTE(i);
	put64(sync_map + OUTSIDE_OFF, V0);
	put64(sync_map + PAGE + 8, 0); /* fault the pages in */
	put64(plain_map + 8, 0);
	put64(plain_map + PAGE + 8, 0);

	torn_mark_start();
	put64(sync_map + TAG_OFF, TAG(0));
	put64(sync_map + PAGE + TAG_OFF, TAG(1));
	put64(plain_map + TAG_OFF, TAG(2));
	put64(plain_map + PAGE + TAG_OFF, TAG(3));

	put64(sync_map + V1_OFF, V1);
	__asm__ __volatile__("clwb (%0)" : : "r"(sync_map + V1_OFF) : "memory");

	__asm__ __volatile__("movdqu (%0), %%xmm0\n\t"
			     "movdqu %%xmm0, (%1)"
			     :
			     : "r"(U128_BYTES), "r"(sync_map + U128_OFF)
			     : "xmm0", "memory");
	__asm__ __volatile__("clflushopt (%0,%1,8)"
			     :
			     : "r"(sync_map), "r"((long)U128_OFF / 8)
			     : "memory");

	__asm__ __volatile__("movnti %1, (%0)"
			     :
			     : "r"(sync_map + NT_OFF), "r"(V3)
			     : "memory");

	put64(sync_map + GS_OFF, V6);
	__asm__ __volatile__("clwb %%gs:%c0" : : "i"(GS_OFF) : "memory");

	put64(sync_map + CLFLUSH_OFF, V7);
	__asm__ __volatile__("clflush (%0)"
			     :
			     : "r"(sync_map + CLFLUSH_OFF)
			     : "memory");

	{
		uint64_t src[REP_N];
		void *d = sync_map + REP_OFF, *s = src;
		unsigned long cnt = REP_N;

		for (int k = 0; k < REP_N; k++)
			src[k] = REP_V(k);
		__asm__ __volatile__("rep movsq"
				     : "+D"(d), "+S"(s), "+c"(cnt)
				     :
				     : "memory");
	}

	stack_line[0] = 1;
	__asm__ __volatile__("clwb %0" : "+m"(stack_line[0]) : : "memory");
	__asm__ __volatile__("sfence" : : : "memory");

	torn_mark(MARK_ID, MARK_ARG, MARK_TEXT, strlen(MARK_TEXT));

	put64(plain_map, V4);
	if (msync(plain_map, PAGE, MS_SYNC))
		die("msync");

	if (pwrite(fd, "abc", 3, PAGE + ABC_OFF) != 3)
		die("pwrite abc");
	if (pwrite(fd, nt64, 64, 3 * PAGE + NT64_OFF) != 64)
		die("pwrite nt64");
	if (fsync(fd))
		die("fsync");
	if (stop)
		torn_mark_stop();

	put64(sync_map + OUTSIDE_OFF, V5);
	munmap(sync_map, 2 * PAGE);
	munmap(plain_map, 2 * PAGE);
	close(fd);
	printf("tracer-vm-guest: done\n");
	return 0;
}
