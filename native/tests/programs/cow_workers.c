/*
 * A forked worker pool shares its parent's memory copy-on-write, and still
 * does after the restart (a pool that doubled its memory on every restart
 * could not come back on the same node).
 *
 * The parent fills a buffer (argv[2] MiB, default 64) and forks 4 workers.
 * Worker i writes its own tenth of it and drops a few pages (MADV_DONTNEED);
 * the parent then writes a part of it the workers must not see.  After the
 * restart every process checks, for the buffer's mapping, that Pss is well
 * below Rss (pages shared), and its contents: its own pages, zeros where it
 * dropped pages, the parent's pages everywhere else.  The parent then writes
 * a page it shared: the workers' copy must not change.  The same for a
 * private mapping of a file whose pages the parent wrote (copied on write)
 * before the fork.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define WORKERS 4
#define PAGE 4096UL

static size_t len;
static unsigned char *buf;
#define FILE_LEN (8UL << 20)
static unsigned char *file_map;         /* MAP_PRIVATE of a file, every page written by the parent */

/* Regions, in pages of the buffer. */
static size_t pages(void) { return len / PAGE; }
static size_t worker_lo(int i) { return pages() * (size_t)i / 10; }             /* worker i's tenth, below 40% */
static size_t worker_hi(int i) { return pages() * (size_t)(i + 1) / 10; }
static size_t dropped_lo(int i) { return pages() * (90 + (size_t)i * 2) / 100; }  /* dropped by worker i */
static size_t dropped_hi(int i) { return dropped_lo(i) + pages() / 100; }
#define PARENT_BEFORE_LO (pages() * 80 / 100)    /* written by the parent after the fork */
#define PARENT_BEFORE_HI (pages() * 85 / 100)
#define PARENT_AFTER_LO  (pages() * 60 / 100)    /* written by the parent after the restart */
#define PARENT_AFTER_HI  (pages() * 61 / 100)

static void fill_pages(size_t lo, size_t hi, uint64_t seed)
{
	for (size_t p = lo; p < hi; p++)
		tl_fill(buf + p * PAGE, PAGE, seed * 1000003 + p);
}

/* The seed page p should hold for process `who` (-1: the parent), 0 for zeros. */
static uint64_t expected_seed(int who, size_t p, int parent_wrote_after)
{
	if (who >= 0 && p >= worker_lo(who) && p < worker_hi(who))
		return 100 + (uint64_t)who;
	if (who >= 0 && p >= dropped_lo(who) && p < dropped_hi(who))
		return 0;
	if (who < 0 && p >= PARENT_BEFORE_LO && p < PARENT_BEFORE_HI)
		return 2;
	if (who < 0 && parent_wrote_after && p >= PARENT_AFTER_LO && p < PARENT_AFTER_HI)
		return 3;
	return 1;
}

static void check_contents(const char *who_name, int who, int parent_wrote_after)
{
	static unsigned char want[PAGE];
	for (size_t p = 0; p < pages(); p++) {
		uint64_t seed = expected_seed(who, p, parent_wrote_after);
		if (seed)
			tl_fill(want, PAGE, seed * 1000003 + p);
		else
			memset(want, 0, PAGE);
		if (memcmp(buf + p * PAGE, want, PAGE)) {
			tl_fail("%s: page %zu of the buffer is not what it wrote or inherited (seed %lu)", who_name, p,
				(unsigned long)seed);
			return;
		}
	}
}

/* Rss and Pss (KiB) of the mapping that holds [at, at + size), from smaps. */
static int rss_pss(const void *at, size_t size, long *rss, long *pss)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int inside = 0, found = 0;
	*rss = *pss = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = s < (unsigned long)at + size && (unsigned long)at < e;
			found |= inside;
		} else if (inside) {
			sscanf(line, "Rss: %ld", rss);
			sscanf(line, "Pss: %ld", pss);
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static void check_shared_mapping(const char *who_name, const char *what, const void *at, size_t size)
{
	long rss, pss;
	if (rss_pss(at, size, &rss, &pss)) {
		tl_fail("%s: no mapping holds the %s", who_name, what);
		return;
	}
	tl_info("%s: %s Rss %ld KiB, Pss %ld KiB", who_name, what, rss, pss);
	/* alone it would be Pss == Rss; shared five ways most of it is about a third */
	TL_CHECK(pss * 10 < rss * 6, "%s: the %s is not shared with the pool: Rss %ld KiB, Pss %ld KiB", who_name, what,
		 rss, pss);
}

static void check_shared(const char *who_name)
{
	check_shared_mapping(who_name, "buffer", buf, len);
	check_shared_mapping(who_name, "private file mapping", file_map, FILE_LEN);
	TL_CHECK(tl_find_mismatch(file_map, FILE_LEN, 70) < 0, "%s: the private file mapping lost the parent's pages",
		 who_name);
}

/* A file of FILE_LEN bytes mapped private, each page then written: copies of the file's pages. */
static int map_written_file(void)
{
	char path[512];
	int fd = open(tl_work_path(path, sizeof(path), "cow.data"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_LEN))
		return -1;
	file_map = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file_map == MAP_FAILED)
		return -1;
	tl_fill(file_map, FILE_LEN, 70);
	return 0;
}

static void read_byte(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		_exit(3);
}

static void worker(int i, int to_parent, int to_workers)
{
	char name[32];
	snprintf(name, sizeof(name), "worker %d", i);
	fill_pages(worker_lo(i), worker_hi(i), 100 + (uint64_t)i);
	if (madvise(buf + dropped_lo(i) * PAGE, (dropped_hi(i) - dropped_lo(i)) * PAGE, MADV_DONTNEED))
		_exit(4);
	if (write(to_parent, "r", 1) != 1)
		_exit(3);
	tl_wait_go();
	check_shared(name);
	if (write(to_parent, "m", 1) != 1)      /* measured: the parent may write now */
		_exit(3);
	read_byte(to_workers);                  /* the parent has written a page it shared */
	check_contents(name, i, 0);
	fill_pages(0, 1, 50 + (uint64_t)i);     /* and a worker writing one is no business of the parent's */
	_exit(tl_failures ? 1 : 0);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	len = (argc > 2 ? strtoul(argv[2], NULL, 10) : 64) << 20;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	madvise(buf, len, MADV_NOHUGEPAGE);     /* 4 KiB pages: sharing is counted page by page */
	fill_pages(0, pages(), 1);
	if (map_written_file())
		return 2;
	int up[2], down[2];
	if (pipe(up) || pipe(down))
		return 2;
	pid_t w[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		if ((w[i] = fork()) == 0)
			worker(i, up[1], down[0]);
	for (int i = 0; i < WORKERS; i++)
		read_byte(up[0]);
	fill_pages(PARENT_BEFORE_LO, PARENT_BEFORE_HI, 2);
	check_shared("parent before the checkpoint");
	tl_ready();

	tl_wait_go();
	check_shared("parent");
	for (int i = 0; i < WORKERS; i++)
		read_byte(up[0]);
	fill_pages(PARENT_AFTER_LO, PARENT_AFTER_HI, 3);
	if (write(down[1], "wwww", WORKERS) != WORKERS)
		tl_fail("cannot tell the workers");
	for (int i = 0; i < WORKERS; i++) {
		int st;
		if (waitpid(w[i], &st, 0) != w[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			tl_fail("worker %d failed (status %#x)", i, st);
	}
	check_contents("parent", -1, 1);
	return tl_finish();
}
