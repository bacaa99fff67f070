/*
 * Pty pairs inside the tree come back (termios, window size, packet mode,
 * lock, controlling terminal, foreground group, /dev/tty):
 *
 *   root R   holds master A; holds master B (packet mode) and its slave,
 *            B locked after the slave was opened
 *   C        child of R: a session of its own whose controlling terminal is
 *            A's slave (raw mode, 33x111), held at fd 10
 *   G        child of C, in a group of its own that is the foreground of A;
 *            holds /dev/tty at fd 11 (TOSTOP: only the foreground may write)
 *
 * With argv[2] "leader", R also leads a session of its own whose controlling
 * terminal is B's slave, and holds /dev/tty at fd 12 (restarted with
 * --no-restore-sid, that must fail: its /dev/tty would be another terminal).
 *
 * After the restart: the same /dev/pts index for A (printed, the test
 * checks it unless the restart said it was taken), the settings and
 * window size, session, controlling terminal and foreground; bytes go
 * master -> G's /dev/tty, /dev/tty -> master and G's slave -> master; B's packet mode and
 * lock hold and its slave still talks to its master.
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

static int recorded[2];

static void say_ready_child(void)
{
	if (write(recorded[1], "r", 1) != 1)
		_exit(2);
	close(recorded[1]);
}

static int pts_index(int master)
{
	unsigned int n = 0;
	return ioctl(master, TIOCGPTN, &n) < 0 ? -1 : (int)n;
}

static void g_body(void)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (tty < 0 || dup2(tty, 11) < 0) {
		tl_fail("G: /dev/tty: %s", strerror(errno));
		_exit(1);
	}
	close(tty);
	say_ready_child();
	tl_wait_go();
	struct stat st;
	TL_CHECK(fstat(11, &st) == 0 && major(st.st_rdev) == 5 && minor(st.st_rdev) == 0, "G: fd 11 is not /dev/tty");
	/* G is the foreground: it may read and write (TOSTOP is on); in the background it would be stopped */
	TL_CHECK(tl_read_expect(11, "ping", 4), "G: nothing from the master through /dev/tty");
	TL_CHECK(write(11, "pong", 4) == 4, "G: write to /dev/tty: %s", strerror(errno));
	TL_CHECK(write(10, "gg", 2) == 2, "G: write to the slave: %s", strerror(errno));
	_exit(tl_failures ? 1 : 0);
}

static void c_body(const char *slave_path)
{
	setsid();
	int s = open(slave_path, O_RDWR);          /* a session leader's first terminal: its controlling one */
	if (s < 0 || dup2(s, 10) < 0) {
		tl_fail("C: open %s: %s", slave_path, strerror(errno));
		_exit(1);
	}
	close(s);
	struct termios t;
	tcgetattr(10, &t);
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
	t.c_lflag |= TOSTOP;
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetspeed(&t, B4800);
	tcsetattr(10, TCSANOW, &t);
	struct winsize ws = { .ws_row = 33, .ws_col = 111 };
	ioctl(10, TIOCSWINSZ, &ws);
	pid_t g = fork();
	if (g == 0) {
		setpgid(0, 0);
		g_body();
	}
	setpgid(g, g);
	signal(SIGTTOU, SIG_IGN);
	TL_CHECK(tcsetpgrp(10, g) == 0, "C: tcsetpgrp: %s", strerror(errno));
	signal(SIGTTOU, SIG_DFL);
	say_ready_child();
	tl_wait_go();

	TL_CHECK(getsid(0) == getpid(), "C: does not lead its session");
	TL_CHECK(tcgetsid(10) == getpid(), "C: the slave is not its session's controlling terminal (tcgetsid %d)",
		 (int)tcgetsid(10));
	TL_CHECK(tcgetpgrp(10) == g, "C: foreground group %d, was %d", (int)tcgetpgrp(10), (int)g);
	struct termios now;
	TL_CHECK(tcgetattr(10, &now) == 0, "C: tcgetattr: %s", strerror(errno));
	TL_CHECK(!(now.c_lflag & (ECHO | ICANON)) && (now.c_lflag & TOSTOP) && !(now.c_oflag & OPOST) && now.c_cc[VMIN] == 1,
		 "C: termios lost (lflag %#o oflag %#o)", (unsigned)now.c_lflag, (unsigned)now.c_oflag);
	TL_CHECK(cfgetospeed(&now) == B4800, "C: speed lost");
	struct winsize w = {0};
	TL_CHECK(ioctl(10, TIOCGWINSZ, &w) == 0 && w.ws_row == 33 && w.ws_col == 111, "C: window size %ux%u, was 33x111",
		 w.ws_row, w.ws_col);
	int st;
	/* not the foreground, G would be stopped by its write (TOSTOP) */
	TL_CHECK(waitpid(g, &st, WUNTRACED) == g && WIFEXITED(st) && WEXITSTATUS(st) == 0, "G failed%s",
		 WIFSTOPPED(st) ? ": stopped, it is not the foreground" : "");
	if (WIFSTOPPED(st)) {
		kill(g, SIGKILL);
		waitpid(g, &st, 0);
	}
	_exit(tl_failures ? 1 : 0);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int leader = argc > 2 && !strcmp(argv[2], "leader");
	if (leader && setsid() < 0) {
		tl_fail("setsid: %s", strerror(errno));
		return tl_finish();
	}
	if (pipe(recorded)) {
		tl_fail("pipe");
		return tl_finish();
	}
	int a = posix_openpt(O_RDWR | O_NOCTTY);
	if (a < 0 || grantpt(a) || unlockpt(a)) {
		tl_fail("pty A: %s", strerror(errno));
		return tl_finish();
	}
	char slave_a[64];
	snprintf(slave_a, sizeof(slave_a), "%s", ptsname(a));
	int index_a = pts_index(a);
	pid_t c = fork();
	if (c == 0)
		c_body(slave_a);

	int b = posix_openpt(O_RDWR | O_NOCTTY);
	if (b < 0 || grantpt(b) || unlockpt(b)) {
		tl_fail("pty B: %s", strerror(errno));
		return tl_finish();
	}
	int sb = open(ptsname(b), O_RDWR | (leader ? 0 : O_NOCTTY));   /* a leader's first terminal: its controlling one */
	if (leader && dup2(open("/dev/tty", O_RDWR | O_NOCTTY), 12) != 12)
		tl_fail("/dev/tty: %s", strerror(errno));
	struct termios raw;
	tcgetattr(sb, &raw);
	cfmakeraw(&raw);
	tcsetattr(sb, TCSANOW, &raw);
	int on = 1;
	TL_CHECK(sb >= 0 && ioctl(b, TIOCPKT, &on) == 0 && ioctl(b, TIOCSPTLCK, &on) == 0, "pty B: %s", strerror(errno));
	char slave_b[64];
	snprintf(slave_b, sizeof(slave_b), "%s", ptsname(b));
	close(recorded[1]);
	char byte;
	for (int i = 0; i < 2; i++)
		TL_CHECK(read(recorded[0], &byte, 1) == 1, "a child did not get ready");
	close(recorded[0]);

	tl_info("PTY %d", index_a);
	tl_ready();
	tl_wait_go();

	tl_info("INDEX %d %d", index_a, pts_index(a));
	TL_CHECK(write(a, "ping", 4) == 4, "write to master A: %s", strerror(errno));
	/* G's pong through /dev/tty, then its gg through the slave */
	char got[8] = "";
	size_t n = 0;
	for (int i = 0; i < 500 && n < 6; i++) {
		struct pollfd p = { a, POLLIN, 0 };
		if (poll(&p, 1, 10) > 0) {
			ssize_t r = read(a, got + n, 6 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
	}
	got[n] = 0;
	TL_CHECK(n == 6 && !strcmp(got, "ponggg"), "master A read \"%s\", wanted ponggg", got);
	int st;
	TL_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "C failed");

	int packet = 0, locked = 0;
	TL_CHECK(ioctl(b, TIOCGPKT, &packet) == 0 && packet == 1, "pty B lost its packet mode");
	TL_CHECK(ioctl(b, TIOCGPTLCK, &locked) == 0 && locked == 1, "pty B is not locked any more");
	TL_CHECK(write(sb, "x", 1) == 1, "write to slave B: %s", strerror(errno));
	TL_CHECK(tl_read_expect(b, "\0x", 2), "master B did not read a data packet");
	if (leader) {
		TL_CHECK(tcgetsid(sb) == getpid(), "B's slave is not the controlling terminal of R's session (%d)", (int)tcgetsid(sb));
		TL_CHECK(write(12, "t", 1) == 1, "write to /dev/tty: %s", strerror(errno));
		TL_CHECK(tl_read_expect(b, "\0t", 2), "master B did not read what went to /dev/tty");
	}
	/* last: a failed open leaves the slave in error (the kernel's pty_open) */
	snprintf(slave_b, sizeof(slave_b), "%s", ptsname(b));
	int again = open(slave_b, O_RDWR | O_NOCTTY);
	TL_CHECK(again < 0 && errno == EIO, "pty B's slave %s could be opened although it is locked", slave_b);
	return tl_finish();
}
