/*
 * Terminal states a checkpoint must refuse, leaving the job running
 * untouched.  argv[2]:
 *   queued   a pty pair in the process, with bytes written to the master
 *            that the slave has not read (they cannot be saved without
 *            being taken); after go the slave reads them
 *   outside  the process holds, at fd 5, the slave of a pty whose master
 *            its parent holds: the checkpointed tree is the child alone
 *            (READY names it); after go the pair still talks
 *   devtty   the same child leads a session whose controlling terminal is
 *            that slave, and holds /dev/tty at fd 6 instead
 *   stdio    not refused: the child leads a session whose controlling
 *            terminal is that slave, on its stdin, stdout and stderr; the
 *            parent ends with it.  Restarted, the child's stdio are the
 *            restart's and it leads its session without a controlling
 *            terminal (the restart says so); it prints PASS there
 *   hold N   not a test: holds ptys until /dev/pts/N is among them, prints
 *            HOLD N (or HOLD -1) and keeps them until the go file exists
 *            (a test takes a pty's index away from a restart with it)
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

static int open_pair(int *slave, int ctty)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		return -1;
	*slave = open(ptsname(m), O_RDWR | (ctty ? 0 : O_NOCTTY));
	if (*slave < 0)
		return -1;
	struct termios t;
	tcgetattr(*slave, &t);
	cfmakeraw(&t);
	tcsetattr(*slave, TCSANOW, &t);
	return m;
}

static int queued(void)
{
	int s, m = open_pair(&s, 0);
	if (m < 0) {
		tl_fail("pty: %s", strerror(errno));
		return tl_finish();
	}
	TL_CHECK(write(m, "queued", 6) == 6, "write: %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	TL_CHECK(tl_read_expect(s, "queued", 6), "the queued bytes are gone");
	return tl_finish();
}

/* The child holds the slave (or its session has it as controlling terminal
 * and it holds /dev/tty); the parent, outside the checkpoint, the master. */
static int outside(int devtty)
{
	int ready[2];
	if (pipe(ready)) {
		tl_fail("pipe");
		return tl_finish();
	}
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		tl_fail("pty: %s", strerror(errno));
		return tl_finish();
	}
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	pid_t child = fork();
	if (child == 0) {
		close(m);
		close(ready[0]);
		if (devtty)
			setsid();
		int s = open(path, O_RDWR | (devtty ? 0 : O_NOCTTY));
		struct termios t;
		tcgetattr(s, &t);
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
		if (devtty) {
			dup2(open("/dev/tty", O_RDWR), 6);
			close(s);
		} else {
			dup2(s, 5);
			close(s);
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		close(ready[1]);
		tl_wait_go();
		_exit(write(devtty ? 6 : 5, "ok", 2) == 2 ? 0 : 1);
	}
	close(ready[1]);
	char byte;
	TL_CHECK(read(ready[0], &byte, 1) == 1, "the child did not get ready");
	close(ready[0]);
	printf("READY %d\n", (int)child);
	fflush(stdout);
	tl_wait_go();
	TL_CHECK(tl_read_expect(m, "ok", 2), "nothing came through the pty");
	int st;
	TL_CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed");
	return tl_finish();
}

static int hold(int want)
{
	int got = -1;
	for (int i = 0; i < 256 && got != want; i++) {
		int m = posix_openpt(O_RDWR | O_NOCTTY);
		unsigned int n;
		if (m < 0 || ioctl(m, TIOCGPTN, &n) < 0)
			break;
		if ((int)n > want)
			break;
		got = (int)n;
	}
	printf("HOLD %d\n", got == want ? want : -1);
	fflush(stdout);
	tl_wait_go();
	return 0;
}

static int stdio_on_outside_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		tl_fail("pty: %s", strerror(errno));
		return tl_finish();
	}
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	int ready[2];
	if (pipe(ready)) {
		tl_fail("pipe");
		return tl_finish();
	}
	pid_t child = fork();
	if (child == 0) {
		close(m);
		close(ready[0]);
		setsid();
		int s = open(path, O_RDWR);
		for (int fd = 0; fd <= 2; fd++)
			dup2(s, fd);
		close(s);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		close(ready[1]);
		tl_wait_go();
		/* restarted: stdout is the restart's, and no terminal is this session's */
		TL_CHECK(getsid(0) == getpid(), "does not lead its session");
		int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
		TL_CHECK(tty < 0 && errno == ENXIO, "has a controlling terminal after the restart");
		TL_CHECK(!isatty(1), "stdout is still a terminal");
		return tl_finish();
	}
	close(ready[1]);
	char byte;
	if (read(ready[0], &byte, 1) != 1)
		tl_fail("the child did not get ready");
	close(ready[0]);
	printf("READY %d\n", (int)child);
	fflush(stdout);
	int st;
	waitpid(child, &st, 0);               /* checkpointed with --kill: it ends here */
	return 0;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const char *mode = argc > 2 ? argv[2] : "";
	if (!strcmp(mode, "queued"))
		return queued();
	if (!strcmp(mode, "stdio"))
		return stdio_on_outside_terminal();
	if (!strcmp(mode, "hold") && argc > 3)
		return hold(atoi(argv[3]));
	if (!strcmp(mode, "outside") || !strcmp(mode, "devtty"))
		return outside(!strcmp(mode, "devtty"));
	tl_fail("unknown mode %s", mode);
	return tl_finish();
}
