/*
 * Shared memory whose pages the checkpointed process never touched, so they
 * are in the object but not in its page tables (what a user's checkpoint,
 * without /proc/PID/map_files, used to miss):
 *   A  a memfd written with write() at pages 0, 2 and 5 (holes between),
 *      mapped MAP_SHARED (8 pages), its descriptor closed (with argv[2]
 *      "held", kept open: a user's checkpoint refuses a memfd only mapped,
 *      whose seals it cannot read; then only its contents are checked)
 *   B  MAP_SHARED|MAP_ANONYMOUS (8 pages), written at pages 1 and 6 by a
 *      child that has exited since
 * After the go (after a restart, or a checkpoint that left it running) the
 * holes are still holes (mincore: nothing resident there; the checkpoint
 * must not have faulted them in), then every page holds what was written,
 * the others zeros.
 */
#include "testlib.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096
#define PAGES 8

static int written(const int *pages, int n, int p)
{
	for (int i = 0; i < n; i++)
		if (pages[i] == p)
			return 1;
	return 0;
}

static void check(const char *what, unsigned char *map, const int *pages, int n, uint64_t seed, int holes)
{
	unsigned char vec[PAGES];
	if (mincore(map, PAGES * PAGE, vec))
		tl_fail("%s: mincore: %s", what, strerror(errno));
	for (int p = 0; p < PAGES; p++)
		if (holes && !written(pages, n, p))
			TL_CHECK(!(vec[p] & 1), "%s: page %d, a hole, is resident", what, p);
	for (int p = 0; p < PAGES; p++) {
		if (written(pages, n, p)) {
			char name[64];
			snprintf(name, sizeof(name), "%s page %d", what, p);
			tl_check_pattern(name, map + p * PAGE, PAGE, seed + (uint64_t)p);
		} else {
			for (int i = 0; i < PAGE; i++)
				if (map[p * PAGE + i]) {
					tl_fail("%s: page %d is not zeros", what, p);
					break;
				}
		}
	}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	static const int a_pages[] = { 0, 2, 5 }, b_pages[] = { 1, 6 };
	unsigned char page[PAGE];
	int fd = memfd_create("unseen", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * PAGE)) {
		tl_fail("memfd: %s", strerror(errno));
		return tl_finish();
	}
	for (int i = 0; i < 3; i++) {
		tl_fill(page, PAGE, 100 + (uint64_t)a_pages[i]);
		if (pwrite(fd, page, PAGE, (off_t)a_pages[i] * PAGE) != PAGE)
			tl_fail("pwrite: %s", strerror(errno));
	}
	unsigned char *a = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int held = argc > 2 && !strcmp(argv[2], "held");
	if (!held)
		close(fd);
	unsigned char *b = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		tl_fail("mmap: %s", strerror(errno));
		return tl_finish();
	}
	pid_t child = fork();
	if (child == 0) {
		for (int i = 0; i < 2; i++)
			tl_fill(b + b_pages[i] * PAGE, PAGE, 200 + (uint64_t)b_pages[i]);
		_exit(0);
	}
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st))
		tl_fail("the child failed");
	tl_ready();
	tl_wait_go();
	/* a memfd held open is saved whole through its descriptor: its holes come back as zeros, resident */
	check("memfd", a, a_pages, 3, 100, !held);
	check("shared anonymous", b, b_pages, 2, 200, 1);
	return tl_finish();
}
