/*
 * Open files: a regular file half read (the next read continues where it
 * stopped), an O_APPEND log that keeps growing, /dev/null and /dev/zero, a
 * file opened O_RDWR at an offset, a directory, and the close-on-exec flag.
 * Descriptor numbers, open flags, offsets and identities are all compared.
 */
#include "testlib.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define INPUT_SIZE 10000
#define INPUT_READ 4000
#define RW_SIZE    8192
#define RW_POS     3000

enum { FD_INPUT = 10, FD_LOG, FD_NULL, FD_ZERO, FD_RW, FD_DIR, FD_DUP_CLOEXEC, NR_FDS_END };
static const char *names[] = { "input", "append log", "/dev/null", "/dev/zero", "rw file",
			       "directory", "cloexec dup" };

static int place(int fd, int want, int cloexec)
{
	if (fd < 0)
		return -1;
	int r = dup3(fd, want, cloexec ? O_CLOEXEC : 0);
	close(fd);
	if (r != want)
		tl_fail("could not place fd %d", want);
	return r;
}

static const char log_head[] = "line 1\nline 2\nline 3\n";

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char input[PATH_MAX], logp[PATH_MAX], rw[PATH_MAX], dir[PATH_MAX];
	tl_work_path(input, sizeof(input), "input.data");
	tl_work_path(logp, sizeof(logp), "append.log");
	tl_work_path(rw, sizeof(rw), "rw.data");
	tl_work_path(dir, sizeof(dir), "");

	static uint8_t buf[INPUT_SIZE];
	tl_fill(buf, INPUT_SIZE, 40);
	int fd = open(input, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, buf, INPUT_SIZE);
	close(fd);
	tl_fill(buf, RW_SIZE, 41);
	fd = open(rw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, buf, RW_SIZE);
	close(fd);

	place(open(input, O_RDONLY), FD_INPUT, 0);
	place(open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644), FD_LOG, 0);
	place(open("/dev/null", O_WRONLY), FD_NULL, 0);
	place(open("/dev/zero", O_RDONLY), FD_ZERO, 1);
	place(open(rw, O_RDWR), FD_RW, 0);
	place(open(dir, O_RDONLY | O_DIRECTORY), FD_DIR, 0);
	place(fcntl(FD_INPUT, F_DUPFD, 100), FD_DUP_CLOEXEC, 1);

	if (read(FD_INPUT, buf, INPUT_READ) != INPUT_READ)
		tl_fail("first read");
	write(FD_LOG, log_head, strlen(log_head));
	lseek(FD_LOG, 0, SEEK_SET);     /* O_APPEND writes ignore this */
	lseek(FD_RW, RW_POS, SEEK_SET);

	int flags[NR_FDS_END], fdflags[NR_FDS_END];
	struct stat st[NR_FDS_END];
	for (int f = FD_INPUT; f < NR_FDS_END; f++) {
		flags[f] = fcntl(f, F_GETFL);
		fdflags[f] = fcntl(f, F_GETFD);
		fstat(f, &st[f]);
	}
	if (tl_failures)
		return 1;

	tl_ready();
	tl_wait_go();

	for (int f = FD_INPUT; f < NR_FDS_END; f++) {
		const char *n = names[f - FD_INPUT];
		struct stat now;
		if (fstat(f, &now) != 0) {
			tl_fail("fd %d (%s) not open", f, n);
			continue;
		}
		TL_CHECK(now.st_ino == st[f].st_ino && now.st_dev == st[f].st_dev &&
			 now.st_rdev == st[f].st_rdev, "fd %d (%s) is another file", f, n);
		TL_CHECK(fcntl(f, F_GETFL) == flags[f], "fd %d (%s): open flags %#o, were %#o", f, n,
			 fcntl(f, F_GETFL), flags[f]);
		TL_CHECK(fcntl(f, F_GETFD) == fdflags[f], "fd %d (%s): fd flags %d, were %d", f, n,
			 fcntl(f, F_GETFD), fdflags[f]);
	}
	TL_CHECK(fdflags[FD_DUP_CLOEXEC] == FD_CLOEXEC && fdflags[FD_ZERO] == FD_CLOEXEC &&
		 fdflags[FD_INPUT] == 0, "test set-up: close-on-exec flags");
	TL_CHECK(S_ISCHR(st[FD_NULL].st_mode) && st[FD_NULL].st_rdev == makedev(1, 3), "/dev/null identity");

	/* The half-read file continues at its offset; its cloexec dup shares it. */
	TL_CHECK(lseek(FD_INPUT, 0, SEEK_CUR) == INPUT_READ, "input offset %ld, was %d",
		 (long)lseek(FD_INPUT, 0, SEEK_CUR), INPUT_READ);
	static uint8_t expect[INPUT_SIZE];
	tl_fill(expect, INPUT_SIZE, 40);
	TL_CHECK(read(FD_INPUT, buf, 1000) == 1000 && memcmp(buf, expect + INPUT_READ, 1000) == 0,
		 "the next read of the input does not continue at offset %d", INPUT_READ);
	TL_CHECK(lseek(FD_DUP_CLOEXEC, 0, SEEK_CUR) == INPUT_READ + 1000,
		 "dup of the input does not share its offset (%ld)", (long)lseek(FD_DUP_CLOEXEC, 0, SEEK_CUR));

	/* The log keeps growing at its end. */
	const char tail[] = "line 4 after restart\n";
	TL_CHECK(write(FD_LOG, tail, strlen(tail)) == (ssize_t)strlen(tail), "write to the log");
	char logbuf[256] = "";
	int lfd = open(logp, O_RDONLY);
	ssize_t n = read(lfd, logbuf, sizeof(logbuf) - 1);
	close(lfd);
	logbuf[n > 0 ? n : 0] = 0;
	TL_CHECK(strncmp(logbuf, log_head, strlen(log_head)) == 0 && strcmp(logbuf + strlen(log_head), tail) == 0,
		 "log content after append: '%s'", logbuf);

	/* Devices work. */
	memset(buf, 0xAA, 64);
	TL_CHECK(read(FD_ZERO, buf, 64) == 64 && tl_checksum(buf, 64) == tl_checksum(memset(expect, 0, 64), 64),
		 "read from /dev/zero");
	TL_CHECK(write(FD_NULL, "x", 1) == 1, "write to /dev/null");

	/* The O_RDWR file writes at its offset. */
	TL_CHECK(lseek(FD_RW, 0, SEEK_CUR) == RW_POS, "rw offset %ld, was %d", (long)lseek(FD_RW, 0, SEEK_CUR), RW_POS);
	tl_fill(buf, 100, 42);
	TL_CHECK(write(FD_RW, buf, 100) == 100, "write to the rw file");
	pread(FD_RW, buf, RW_SIZE, 0);
	tl_fill(expect, RW_SIZE, 41);
	tl_fill(expect + RW_POS, 100, 42);
	TL_CHECK(memcmp(buf, expect, RW_SIZE) == 0, "rw file content after the write");

	/* The directory fd resolves relative names. */
	int in2 = openat(FD_DIR, "input.data", O_RDONLY);
	TL_CHECK(in2 >= 0, "openat(directory fd, input.data)");
	close(in2);
	return tl_finish();
}
