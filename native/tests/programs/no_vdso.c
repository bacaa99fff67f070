/*
 * A process that unmapped its [vdso] (and [vvar]), as some sandboxes and
 * checkpointed-elsewhere programs do: it comes back without them, and its
 * system calls (made directly: libc would jump into the vdso it remembers)
 * still work.
 */
#include "testlib.h"
#include <sys/mman.h>
#include <sys/syscall.h>

static int unmap_specials(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long s[8], e[8];
	int n = 0;
	while (f && fgets(line, sizeof(line), f) && n < 8)
		if (strstr(line, "[vdso]") || strstr(line, "[vvar]") || strstr(line, "[vvar_vclock]"))
			if (sscanf(line, "%lx-%lx", &s[n], &e[n]) == 2)
				n++;
	if (f)
		fclose(f);
	for (int i = 0; i < n; i++)
		if (munmap((void *)s[i], e[i] - s[i]))
			return -1;
	return n;
}

static int has_specials(void)
{
	char maps[65536];
	ssize_t n = tl_read_file("/proc/self/maps", maps, sizeof(maps) - 1);
	maps[n > 0 ? n : 0] = 0;
	return strstr(maps, "[vdso]") || strstr(maps, "[vvar");
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (unmap_specials() <= 0)
		return 2;
	tl_ready();
	tl_wait_go();
	TL_CHECK(!has_specials(), "the restarted process has a vdso again");
	struct timespec ts = {0};
	TL_CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0 && (ts.tv_sec || ts.tv_nsec),
		 "clock_gettime by syscall fails");
	TL_CHECK(syscall(SYS_getpid) == getpid(), "getpid");
	return tl_finish();
}
