/*
 * Holds argv[2] open read-only, half read.  The file is saved by reference:
 * if it changes or disappears before the restart, the restart must refuse;
 * relocated onto an identical copy, the rest of it reads back right.
 * Prints "FDPATH <path>" (where its descriptor points after the restart).
 */
#include "testlib.h"
#include <fcntl.h>
#include <limits.h>

#define SIZE 65536

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc < 3) {
		tl_fail("usage: file_changed GO_FILE DATA_FILE");
		return 1;
	}
	static uint8_t buf[SIZE + 16];
	tl_fill(buf, SIZE, 60);
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, SIZE) != SIZE || close(fd) != 0) {
		tl_fail("cannot create %s", argv[2]);
		return 1;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || read(fd, buf, SIZE / 2) != SIZE / 2) {
		tl_fail("cannot read %s", argv[2]);
		return 1;
	}
	tl_ready();
	tl_wait_go();

	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	tl_info("FDPATH %s", path);
	n = read(fd, buf + SIZE / 2, SIZE / 2 + 16);
	TL_CHECK(n == SIZE / 2, "read the second half: %zd bytes", n);
	tl_check_pattern("file content", buf, SIZE, 60);
	return tl_finish();
}
