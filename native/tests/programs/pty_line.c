/*
 * A line being typed into a pty in canonical mode, not yet ended: the
 * process holds a pty pair (canonical, echo on, the defaults) and "hello
 * wor" has been typed into the master (its echo read).  The line is in the
 * slave's line discipline, where no interface shows it.  After the restart
 * (or after a checkpoint that left the process running) the rest is typed:
 * an erase (DEL), then "rld" and a newline.  The slave must read exactly
 * "hello world\n" (the line came back, and erasable), and the master must
 * read exactly the echo of what was typed after go ("\b \b" for the erase,
 * then "rld\r\n"): the line came back without being echoed again.  Before
 * the checkpoint the slave also wrote "queued output\n", which the master
 * had not read: the master must read it first, as "queued output\r\n" (the
 * output processing done once, not twice).
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		tl_fail("posix_openpt: %s", strerror(errno));
		return tl_finish();
	}
	int slave = open(ptsname(m), O_RDWR | O_NOCTTY | O_NONBLOCK);
	struct termios t;
	if (slave < 0 || tcgetattr(slave, &t) || !(t.c_lflag & ICANON) || !(t.c_lflag & ECHO) || t.c_cc[VERASE] != 0177) {
		tl_fail("the slave is not canonical with echo and DEL as erase");
		return tl_finish();
	}
	if (write(m, "hello wor", 9) != 9 || !tl_read_expect(m, "hello wor", 9))
		tl_fail("the typed text was not echoed");
	char c;
	TL_CHECK(read(slave, &c, 1) < 0 && errno == EAGAIN, "the unfinished line can be read already");
	if (write(slave, "queued output\n", 14) != 14)
		tl_fail("the slave cannot write: %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	if (write(m, "\177rld\n", 5) != 5)
		tl_fail("cannot type into the master: %s", strerror(errno));
	TL_CHECK(tl_read_expect(m, "queued output\r\n", 15), "the master did not read the slave's queued output first");
	TL_CHECK(tl_read_expect(m, "\b \brld\r\n", 8), "the master did not read just the echo of what was typed after go");
	int flags = fcntl(slave, F_GETFL);
	fcntl(slave, F_SETFL, flags & ~O_NONBLOCK);
	TL_CHECK(tl_read_expect(slave, "hello world\n", 12), "the slave did not read the whole line \"hello world\"");
	return tl_finish();
}
