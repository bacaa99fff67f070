/*
 * Output queued on a terminal whose output is stopped comes back stopped, the
 * queued bytes in order: two pty pairs in the tree, each with a child writing
 * through its slave.  Pair X is stopped by ^S (IXON) typed into its master,
 * pair T by tcflow(TCOOFF).  Each child wrote a line before the stop (queued
 * for the master) and then writes a second line, which the stop holds back
 * (the child sleeps in write).
 *
 * After the restart: each master reads the first line only; the output is
 * still stopped (a byte written through the slave, non-blocking, is not
 * taken); ^Q resumes X but not T, TCOON resumes T; then the second line comes.
 *
 * With argv[2] "packet": one pair whose master is in packet mode, stopped by
 * ^S (refused at checkpoint time); after the go it is still stopped, and ^Q
 * resumes it.
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

struct pair {
	const char *name;
	int master, slave;      /* the parent's: slave non-blocking, its own open file */
	pid_t writer;
};

static int open_pair(struct pair *p, const char *name)
{
	p->name = name;
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0)
		return -1;
	p->slave = open(ptsname(p->master), O_RDWR | O_NOCTTY | O_NONBLOCK);
	return p->slave < 0 ? -1 : 0;
}

/* Let the slave's line discipline act on what was typed into the master now
 * (a read that finds no input waits for the pty's buffer to be taken in). */
static void let_input_in(struct pair *p)
{
	char c;
	if (read(p->slave, &c, 1) == 1)
		tl_fail("%s: a flow-control character reached the input", p->name);
}

static void type_char(struct pair *p, char c)
{
	if (write(p->master, &c, 1) != 1)
		tl_fail("%s: cannot type into the master", p->name);
	let_input_in(p);
}

/* A stopped terminal takes no byte from its slave. */
static int output_stopped(struct pair *p)
{
	ssize_t n = write(p->slave, "!", 1);
	return n < 0 && errno == EAGAIN;
}

static void writer_body(struct pair *p, int told[2], int stopped[2])
{
	int fd = open(ptsname(p->master), O_RDWR | O_NOCTTY);
	if (fd < 0)
		_exit(2);
	if (write(fd, "first\n", 6) != 6 || write(told[1], "w", 1) != 1)
		_exit(3);
	char c;
	if (read(stopped[0], &c, 1) != 1)
		_exit(4);
	/* the stop holds this back: the writer sleeps in write across the checkpoint */
	_exit(write(fd, "second\n", 7) == 7 ? 0 : 5);
}

static void start_writer(struct pair *p, int by_tcooff)
{
	int told[2], stopped[2];
	if (pipe(told) < 0 || pipe(stopped) < 0)
		exit(1);
	p->writer = fork();
	if (p->writer == 0)
		writer_body(p, told, stopped);
	close(told[1]);
	close(stopped[0]);
	char c;
	if (read(told[0], &c, 1) != 1)
		tl_fail("%s: the writer did not start", p->name);
	if (by_tcooff)
		tcflow(p->slave, TCOOFF);
	else
		type_char(p, 'S' & 0x1f);   /* ^S */
	TL_CHECK(output_stopped(p), "%s: the output did not stop before the checkpoint", p->name);
	if (write(stopped[1], "s", 1) != 1)
		tl_fail("%s: cannot tell the writer", p->name);
	close(told[0]);
	close(stopped[1]);
}

static void check_after_restart(struct pair *p, int by_tcooff)
{
	TL_CHECK(tl_read_expect(p->master, "first\r\n", 7), "%s: the line queued before the stop is not there", p->name);
	TL_CHECK(output_stopped(p), "%s: the output is no longer stopped", p->name);
	type_char(p, 'Q' & 0x1f);   /* ^Q */
	if (by_tcooff) {
		TL_CHECK(output_stopped(p), "%s: ^Q resumed output stopped by tcflow(TCOOFF)", p->name);
		TL_CHECK(tcflow(p->slave, TCOON) == 0, "%s: tcflow(TCOON): %s", p->name, strerror(errno));
	}
	TL_CHECK(tl_read_expect(p->master, "second\r\n", 8), "%s: the line held back by the stop did not come", p->name);
	int st;
	TL_CHECK(waitpid(p->writer, &st, 0) == p->writer && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "%s: the writer failed", p->name);
}

static int packet_mode(void)
{
	struct pair p;
	int on = 1;
	if (open_pair(&p, "packet-mode pair") < 0 || ioctl(p.master, TIOCPKT, &on) < 0) {
		perror("pty");
		return 1;
	}
	type_char(&p, 'S' & 0x1f);
	TL_CHECK(output_stopped(&p), "%s: the output did not stop", p.name);
	tl_ready();
	tl_wait_go();
	TL_CHECK(output_stopped(&p), "%s: the output is no longer stopped", p.name);
	type_char(&p, 'Q' & 0x1f);
	TL_CHECK(!output_stopped(&p), "%s: ^Q did not resume the output", p.name);
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "packet"))
		return packet_mode();
	struct pair x, t;
	if (open_pair(&x, "^S pair") < 0 || open_pair(&t, "TCOOFF pair") < 0) {
		perror("pty");
		return 1;
	}
	start_writer(&x, 0);
	start_writer(&t, 1);
	tl_ready();
	tl_wait_go();
	check_after_restart(&x, 0);
	check_after_restart(&t, 1);
	return tl_finish();
}
