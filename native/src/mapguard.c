#include "mapguard.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The range this thread reads now, and where a fault in it returns to. */
static __thread sigjmp_buf *armed_jump;
static __thread uintptr_t armed_lo, armed_hi;
static volatile sig_atomic_t guard_installed;

/* A fault outside an armed range is not ours: the default action, as without the
 * handler (a fault re-raises on return; a SIGBUS sent by kill() is raised again). */
static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	uintptr_t at = (uintptr_t)info->si_addr;
	if (armed_jump && info->si_code > 0 && at >= armed_lo && at < armed_hi)
		siglongjmp(*armed_jump, 1);
	signal(sig, SIG_DFL);
	if (info->si_code <= 0)
		raise(sig);
}

int cryo_guard_mapped_reads(struct cryo_error *e)
{
	/* no SA_ONSTACK: the fault is a read of the file's pages, never of the stack */
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return cryo_fail(e, 0, "SIGBUS", "sigaction", errno, "cannot guard mapped reads");
	guard_installed = 1;
	return 0;
}

int cryo_mapped_reads_guarded(void)
{
	return guard_installed;
}

int cryo_guarded_read(const void *p, size_t n, void (*fn)(void *arg, const void *p, size_t n), void *arg)
{
	sigjmp_buf jump;
	/* the signal mask saved: the handler's return by siglongjmp must unblock SIGBUS again */
	if (sigsetjmp(jump, 1)) {
		armed_jump = NULL;
		return EFAULT;
	}
	armed_lo = (uintptr_t)p;
	armed_hi = (uintptr_t)p + n;
	armed_jump = &jump;
	fn(arg, p, n);
	armed_jump = NULL;
	return 0;
}

/* Mapped, the pages still on the disk come one fault at a time; a cold file is better
 * read by pagestream.c's readers, several large reads in flight. */
#define MAPPED_MIN_RESIDENT 95

/* cachestat(2), Linux 6.5: the page cache's count over a range of a file, without a
 * lookup per page (1 GiB: 0.4 ms here, where mincore over a mapping of it took 20 ms
 * before the restart's first page) */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct cachestat_range_v1 { uint64_t off, len; };
struct cachestat_v1 { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };

/* 1 or 0: are MAPPED_MIN_RESIDENT% of the pages of [off, off+len) of fd in the page
 * cache?  -1: the kernel cannot say so (an older one, or a seccomp filter). */
static int mostly_cached_by_count(int fd, uint64_t off, uint64_t len)
{
	struct cachestat_range_v1 r = { off, len };
	struct cachestat_v1 cs;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), nr = (len + page - 1) / page;
	if (syscall(__NR_cachestat, fd, &r, &cs, 0) < 0)
		return -1;
	return cs.nr_cache * 100 >= nr * MAPPED_MIN_RESIDENT;
}

static int mostly_cached(void *map, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), nr = (len + page - 1) / page, resident = 0;
	unsigned char *vec = malloc(nr ? nr : 1);
	if (!vec || mincore(map, len, vec) < 0) {
		free(vec);
		return 0;
	}
	for (size_t i = 0; i < nr; i++)
		resident += vec[i] & 1;
	free(vec);
	return resident * 100 >= nr * MAPPED_MIN_RESIDENT;
}

int cryo_map_if_cached(int fd, uint64_t off, uint64_t len, struct cryo_file_map *m)
{
	const char *mode = getenv("CRYO_PAGE_READS");
	if (!len || (mode && !strcmp(mode, "read")))
		return 0;
	uint64_t from = off & ~((uint64_t)sysconf(_SC_PAGESIZE) - 1);
	size_t n = (size_t)(off + len - from);
	int forced = mode && !strcmp(mode, "mapped");
	int counted = forced ? 1 : mostly_cached_by_count(fd, from, n);
	if (!counted)
		return 0;
	char *base = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, (off_t)from);
	if (base == MAP_FAILED)
		return 0;
	if (counted < 0 && !mostly_cached(base, n)) {
		munmap(base, n);
		return 0;
	}
	*m = (struct cryo_file_map){ base, n, from };
	return 1;
}

void cryo_drop_cached(int fd, uint64_t off, size_t n)
{
	(void)posix_fadvise(fd, (off_t)off, (off_t)n, POSIX_FADV_DONTNEED);
}

int cryo_populate_read(const void *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(page - 1);
	while (n && madvise((void *)lo, (uintptr_t)p + n - lo, MADV_POPULATE_READ) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			continue;
		return errno == EINVAL ? 0 : errno;    /* a kernel before 5.14: the first read faults them in */
	}
	return 0;
}
