/*
 * A /proc file and a pidfd inherited across fork are one open file in the
 * parent and the child: the root opens /proc/ROOT/status (read 16 bytes)
 * and a pidfd of itself, then forks a child.  After the restart the child
 * reads 8 more bytes through its copy and sets O_NONBLOCK on its pidfd; the
 * root must see its own status offset at 24 and its pidfd non-blocking:
 * the two still share one open file each, offset and flags included.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[64], skip[16];
	snprintf(path, sizeof(path), "/proc/%d/status", getpid());
	int status = open(path, O_RDONLY);
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int done[2];
	if (status < 0 || pidfd < 0 || pipe(done) || read(status, skip, sizeof(skip)) != sizeof(skip)) {
		tl_fail("setup: %s", strerror(errno));
		return tl_finish();
	}
	pid_t child = fork();
	if (child == 0) {
		close(done[0]);
		tl_wait_go();
		char more[8];
		int ok = read(status, more, sizeof(more)) == sizeof(more) &&
			 fcntl(pidfd, F_SETFL, fcntl(pidfd, F_GETFL) | O_NONBLOCK) == 0;
		_exit(write(done[1], ok ? "y" : "n", 1) == 1 && ok ? 0 : 1);
	}
	close(done[1]);
	tl_ready();
	tl_wait_go();
	char c = 0;
	TL_CHECK(read(done[0], &c, 1) == 1 && c == 'y', "the child could not use its copies");
	off_t at = lseek(status, 0, SEEK_CUR);
	TL_CHECK(at == 24, "the status file's offset is %ld, not 24: the child's read did not move it", (long)at);
	TL_CHECK(fcntl(pidfd, F_GETFL) & O_NONBLOCK, "the pidfd is not non-blocking: the child's flag did not reach it");
	int ws;
	TL_CHECK(waitpid(child, &ws, 0) == child && WIFEXITED(ws) && !WEXITSTATUS(ws), "the child failed");
	return tl_finish();
}
