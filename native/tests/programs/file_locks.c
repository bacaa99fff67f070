/*
 * File locks held at checkpoint time are held again after the restart: a
 * flock, a POSIX (fcntl) byte-range lock and an OFD lock.  A helper process
 * forked after the restart must find each of them taken.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

static int probe_posix(const char *path, int cmd, off_t start, off_t len)
{
	int fd = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int r = fcntl(fd, cmd, &fl);
	close(fd);
	return r;               /* -1: someone holds it */
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char a[512], b[512], c[512];
	tl_work_path(a, sizeof(a), "flock.data");
	tl_work_path(b, sizeof(b), "posix.data");
	tl_work_path(c, sizeof(c), "ofd.data");
	int fa = open(a, O_RDWR | O_CREAT, 0600), fb = open(b, O_RDWR | O_CREAT, 0600), fc = open(c, O_RDWR | O_CREAT, 0600);
	if (flock(fa, LOCK_EX) < 0)
		return 1;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 50 };
	if (fcntl(fb, F_SETLK, &fl) < 0)
		return 1;
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	if (fcntl(fc, F_OFD_SETLK, &ofd) < 0)
		return 1;
	tl_ready();
	tl_wait_go();

	pid_t child = fork();
	if (child == 0) {
		int ok = 1;
		int fd = open(a, O_RDWR);
		ok &= flock(fd, LOCK_EX | LOCK_NB) < 0;                 /* taken */
		ok &= probe_posix(b, F_SETLK, 120, 10) < 0;              /* inside the held range */
		ok &= probe_posix(b, F_SETLK, 0, 10) == 0;               /* outside it */
		ok &= probe_posix(c, F_OFD_SETLK, 5, 1) < 0;             /* the OFD lock covers all */
		_exit(ok ? 0 : 1);
	}
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("a lock held at checkpoint time is not held after the restart");
	if (flock(fa, LOCK_UN) < 0)
		tl_fail("cannot release the flock");
	return tl_finish();
}
