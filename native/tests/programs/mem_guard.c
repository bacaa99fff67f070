/*
 * Guard pages (MADV_GUARD_INSTALL, Linux 6.13+) in an anonymous mapping, in
 * the parent and in a forked child that added one of its own: after the
 * restart the same pages are guards (/proc/self/pagemap bit 58, Linux
 * 6.14+), the others keep their contents, and touching a guard page still
 * faults.
 */
#include "testlib.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#define PAGE 4096UL
#define PAGES 8
#define PM_GUARD_REGION (1ULL << 58)

static char *buf;

static int is_guard(size_t page)
{
	uint64_t pm = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &pm, 8, (off_t)((unsigned long)(buf + page * PAGE) / PAGE * 8)) != 8)
		pm = 0;
	if (fd >= 0)
		close(fd);
	return (pm & PM_GUARD_REGION) != 0;
}

static sigjmp_buf jump;
static void on_segv(int sig) { siglongjmp(jump, 1); }

static int faults(size_t page)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	sigaction(SIGSEGV, &sa, &old);
	volatile int hit = 0;
	if (sigsetjmp(jump, 1) == 0)
		(void)*(volatile char *)(buf + page * PAGE);
	else
		hit = 1;
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

/* guards: a bit per page */
static void check(const char *who, unsigned guards)
{
	for (size_t p = 0; p < PAGES; p++) {
		int want = (guards >> p) & 1;
		TL_CHECK(is_guard(p) == want, "%s: page %zu %s a guard page", who, p, want ? "is no longer" : "became");
		if (want)
			TL_CHECK(faults(p), "%s: touching guard page %zu does not fault", who, p);
		else
			tl_check_pattern(who, buf + p * PAGE, PAGE, 30 + p);
	}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	buf = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	for (size_t p = 0; p < PAGES; p++)
		tl_fill(buf + p * PAGE, PAGE, 30 + p);
	if (madvise(buf + 2 * PAGE, PAGE, MADV_GUARD_INSTALL) || madvise(buf + 5 * PAGE, 2 * PAGE, MADV_GUARD_INSTALL)) {
		printf("SKIP no guard regions on this kernel\n");
		return 0;
	}
	int ready[2];
	if (pipe(ready))
		return 2;
	pid_t child = fork();
	if (child == 0) {
		if (madvise(buf + 0 * PAGE, PAGE, MADV_GUARD_INSTALL))
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		tl_wait_go();
		check("child", 1u << 0 | 1u << 2 | 3u << 5);
		_exit(tl_failures ? 1 : 0);
	}
	char c;
	if (read(ready[0], &c, 1) != 1)
		return 2;
	tl_ready();
	tl_wait_go();
	check("parent", 1u << 2 | 3u << 5);
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		tl_fail("the child's guard pages are not what they were");
	return tl_finish();
}
