/*
 * A private file mapping (MAP_PRIVATE, at a file offset): pages written before
 * the checkpoint differ from the file and must come back as written; the
 * pages never written are the file's.  The file itself never changes.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>

#define FILE_PAGES 24
#define MAP_OFF_PAGES 4
#define MAP_PAGES 16

static const int written[] = { 0, 3, 4, 11, 15 };
#define NR_WRITTEN (int)(sizeof(written) / sizeof(written[0]))

static int is_written(int i)
{
	for (int k = 0; k < NR_WRITTEN; k++)
		if (written[k] == i)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[4096];
	tl_work_path(path, sizeof(path), "private.data");
	const long pg = 4096;

	uint8_t *content = malloc(FILE_PAGES * pg);
	tl_fill(content, FILE_PAGES * pg, 10);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, content, FILE_PAGES * pg) != FILE_PAGES * pg) {
		tl_fail("cannot create %s", path);
		return 1;
	}
	uint8_t *map = mmap(NULL, MAP_PAGES * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
			    MAP_OFF_PAGES * pg);
	close(fd);
	if (map == MAP_FAILED) {
		tl_fail("mmap");
		return 1;
	}
	/* Read every page (so some are in memory unmodified), write a few. */
	volatile uint8_t sink = 0;
	for (int i = 0; i < MAP_PAGES; i++)
		sink += map[i * pg];
	for (int k = 0; k < NR_WRITTEN; k++)
		tl_fill(map + written[k] * pg, pg, 20 + written[k]);

	tl_ready();
	tl_wait_go();

	for (int i = 0; i < MAP_PAGES; i++) {
		char what[64];
		if (is_written(i)) {
			snprintf(what, sizeof(what), "written private page %d", i);
			tl_check_pattern(what, map + i * pg, pg, 20 + i);
		} else if (memcmp(map + i * pg, content + (MAP_OFF_PAGES + i) * pg, pg) != 0) {
			tl_fail("unwritten private page %d differs from the file", i);
		}
	}

	/* Keeps working: a new COW write, and the file never sees any of it. */
	tl_fill(map + 7 * pg, pg, 99);
	tl_check_pattern("page written after restart", map + 7 * pg, pg, 99);
	uint8_t *now = malloc(FILE_PAGES * pg);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, now, FILE_PAGES * pg, 0) != FILE_PAGES * pg)
		tl_fail("cannot read %s back", path);
	else if (memcmp(now, content, FILE_PAGES * pg) != 0)
		tl_fail("private writes reached the file");
	munmap(map, MAP_PAGES * pg);
	return tl_finish();
}
