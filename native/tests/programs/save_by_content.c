/*
 * cr_checkpoint --save-*: maps DIR/private.data private and DIR/shared.data
 * shared (writing into both), and is started from a copy of itself that the
 * test deletes.  Checkpointed with --save-all, then with every one of those
 * files gone, it restarts and finds its memory as it was.  Prints how each
 * mapping came back: "PRIVATE <path or anon>", "SHARED <path>" (the
 * kernel's name of what backs it, " (deleted)" for a fresh unlinked copy),
 * and "SHARED_FILE <size or gone>" for the original shared file after its
 * mapping was written to (the restart never writes the original).
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PAGES 4
#define PG 4096

static void *map_file(const char *path, int shared, uint64_t seed)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	static uint8_t buf[PAGES * PG];
	tl_fill(buf, sizeof(buf), seed);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return MAP_FAILED;
	void *map = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	close(fd);
	return map;
}

/* What backs the mapping at addr: its path in /proc/self/maps, or "anon". */
static void print_backing(const char *label, const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4600];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		int at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &at) < 2 || (unsigned long)addr != start)
			continue;
		line[strcspn(line, "\n")] = 0;
		tl_info("%s %s", label, at && line[at] ? line + at : "anon");
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	tl_info("%s none", label);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc < 3) {
		tl_fail("usage: save_by_content GO_FILE DIR");
		return 1;
	}
	char priv[4096], shared[4096];
	snprintf(priv, sizeof(priv), "%s/private.data", argv[2]);
	snprintf(shared, sizeof(shared), "%s/shared.data", argv[2]);
	uint8_t *p = map_file(priv, 0, 80), *s = map_file(shared, 1, 81);
	if (p == MAP_FAILED || s == MAP_FAILED) {
		tl_fail("cannot map the data files");
		return 1;
	}
	tl_fill(p + PG, PG, 82);            /* a page of its own (copy-on-write) beside the file's */
	tl_fill(s + PG, PG, 83);            /* written through to the file */
	tl_ready();
	tl_wait_go();

	tl_check_pattern("private page 0 (the file's)", p, PG, 80);
	tl_check_pattern("private page 1 (written)", p + PG, PG, 82);
	static uint8_t file_pages[PAGES * PG];     /* the pattern runs on across the file's pages */
	tl_fill(file_pages, sizeof(file_pages), 80);
	TL_CHECK(!memcmp(p + 2 * PG, file_pages + 2 * PG, 2 * PG), "private pages 2-3 (the file's, never touched) differ");
	tl_check_pattern("shared page 0", s, PG, 81);
	tl_check_pattern("shared page 1 (written)", s + PG, PG, 83);
	print_backing("PRIVATE", p);
	print_backing("SHARED", s);
	tl_fill(s + 2 * PG, PG, 84);
	msync(s, PAGES * PG, MS_SYNC);
	tl_check_pattern("shared page 2 written after the restart", s + 2 * PG, PG, 84);
	struct stat st;
	if (stat(shared, &st) == 0)
		tl_info("SHARED_FILE %lld", (long long)st.st_size);
	else
		tl_info("SHARED_FILE gone");
	return tl_finish();
}
