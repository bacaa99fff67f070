/*
 * A shared file mapping (MAP_SHARED): before and after the restart, what is
 * written through the mapping is in the file, and what is in the file shows
 * through the mapping.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>

#define FILE_PAGES 8

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[4096];
	tl_work_path(path, sizeof(path), "shared.data");
	const long pg = 4096;
	const size_t size = FILE_PAGES * pg;

	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size) != 0) {
		tl_fail("cannot create %s", path);
		return 1;
	}
	uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		tl_fail("mmap");
		return 1;
	}
	tl_fill(map, size, 30);
	msync(map, size, MS_SYNC);

	tl_ready();
	tl_wait_go();

	tl_check_pattern("shared mapping after restart", map, size, 30);

	/* Writes through the mapping reach the file ... */
	tl_fill(map + 2 * pg, 3 * pg, 31);
	msync(map, size, MS_SYNC);
	uint8_t *buf = malloc(size);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, buf, size, 0) != (ssize_t)size) {
		tl_fail("cannot read %s back", path);
		return 1;
	}
	tl_check_pattern("file page 0-1 (old data)", buf, 2 * pg, 30);
	tl_check_pattern("file pages written through the mapping after restart", buf + 2 * pg, 3 * pg, 31);

	/* ... and writes to the file show through the mapping. */
	tl_fill(buf, pg, 32);
	if (pwrite(fd, buf, pg, 7 * pg) != pg)
		tl_fail("pwrite");
	tl_check_pattern("file write seen through the mapping", map + 7 * pg, pg, 32);
	close(fd);
	return tl_finish();
}
