/* Terminals: pty pairs of the tree, /dev/tty, controlling terminals (see ttys.h). */
#include "ttys.h"
#include "error.h"
#include "fdtypes.h"
#include "proc.h"
#include "resources.h"

#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PTMX_MAJOR 5
#define PTMX_MINOR 2
#define DEV_TTY_MINOR 0
#define PTS_MAJOR 136               /* UNIX98_PTY_SLAVE_MAJOR: minor is the index */
#define MAX_PTY_OPENS 4096          /* ptmx opened at most this often to reach a wanted index */

static uint32_t detail_index(const struct fd_rec *f)
{
	struct cryo_fd_tty d = {0};
	if (f->detail && f->detail_len >= sizeof(d))
		memcpy(&d, f->detail, sizeof(d));
	return d.index;
}

static int set_detail(pid_t pid, struct fd_rec *f, uint32_t index, struct cryo_error *e)
{
	struct cryo_fd_tty d = { .index = index };
	free(f->detail);
	f->detail = malloc(sizeof(d));
	if (!f->detail)
		return cryo_fail(e, pid, "ttys", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	return 0;
}

/* ---- checkpoint ---- */

static int master_index(pid_t pid, int fd, uint32_t *index, struct cryo_error *e)
{
	int copy = proc_dup_fd(pid, fd, e);
	if (copy < 0)
		return -1;
	unsigned int n = 0;
	int rc = ioctl(copy, TIOCGPTN, &n);
	close(copy);
	if (rc < 0)
		return cryo_fail_errno(e, pid, "ttys", "ioctl(TIOCGPTN)", "fd %d of process %d is a pty master without an index",
				       fd, pid);
	*index = n;
	return 0;
}

/* The tty kind this character device is, 0 if none of Cryo's. */
static uint32_t tty_kind_of(const struct fd_rec *f, const struct stat *st)
{
	if (!S_ISCHR(st->st_mode))
		return 0;
	unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);
	if (maj == PTMX_MAJOR && min == PTMX_MINOR)
		return CRYO_FD_PTY_MASTER;
	if (maj == PTS_MAJOR && !strncmp(f->path, "/dev/pts/", 9))
		return CRYO_FD_PTY_SLAVE;
	if (maj == PTMX_MAJOR && min == DEV_TTY_MINOR)
		return CRYO_FD_DEV_TTY;       /* which terminal: the process's controlling one, at link time */
	return 0;
}

static int classify(pid_t pid, struct fd_rec *f, const struct stat *st, uint32_t kind, struct cryo_error *e)
{
	if (tty_kind_of(f, st) != kind)
		return 0;
	uint32_t index = 0;
	if (kind == CRYO_FD_PTY_MASTER && master_index(pid, f->r.fd, &index, e))
		return -1;
	if (kind == CRYO_FD_PTY_SLAVE)
		index = minor(st->st_rdev);
	f->r.kind = kind;
	return set_detail(pid, f, index, e) ? -1 : 1;
}

static int classify_master(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	return classify(pid, f, st, CRYO_FD_PTY_MASTER, e);
}

static int classify_slave(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	return classify(pid, f, st, CRYO_FD_PTY_SLAVE, e);
}

static int classify_dev_tty(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	return classify(pid, f, st, CRYO_FD_DEV_TTY, e);
}

static struct cryo_tty *find_pair(const struct tree *t, uint32_t index)
{
	for (int i = 0; i < t->nr_ttys; i++)
		if (!(t->ttys[i].flags & CRYO_TTY_OUTSIDE) && t->ttys[i].index == index)
			return &t->ttys[i];
	return NULL;
}

static int master_in_tree(const struct tree *t, uint32_t index)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++)
			if (t->procs[k].fds[i].r.kind == CRYO_FD_PTY_MASTER && detail_index(&t->procs[k].fds[i]) == index)
				return 1;
	return 0;
}

/* Record r (and input, its unfinished line, taken over: malloc'ed or NULL). */
static int add_tty(struct tree *t, const struct cryo_tty *r, char *input, pid_t pid, struct cryo_error *e)
{
	struct cryo_tty *grown = realloc(t->ttys, (size_t)(t->nr_ttys + 1) * sizeof(*grown));
	if (grown)
		t->ttys = grown;
	char **inputs = grown ? realloc(t->tty_input, (size_t)(t->nr_ttys + 1) * sizeof(*inputs)) : NULL;
	if (!inputs) {
		free(input);
		return cryo_fail(e, pid, "ttys", "malloc", ENOMEM, "out of memory");
	}
	t->tty_input = inputs;
	t->tty_input[t->nr_ttys] = input;
	t->ttys[t->nr_ttys++] = *r;
	return 0;
}

/*
 * A line being typed in canonical mode, not yet ended, is in the slave's
 * line discipline but no interface shows it (FIONREAD counts ended lines
 * only).  Turning ICANON off makes it plain input, which is read; turning it
 * on again with nothing left leaves the discipline as it was before the
 * line began.  The line is then put back by typing it again into the master
 * (put_line_back).  Both are done with the job frozen, through the master m
 * and a slave descriptor.
 */

/* The slave's settings for typing a line back in: canonical still (so the
 * discipline is not reset), nothing echoed, no character special but the
 * newline (which a line being typed cannot hold), no input translation. */
static struct termios2 quiet_canonical(const struct termios2 *tio)
{
	struct termios2 q = *tio;
	q.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOKE | ECHOPRT | ISIG | IEXTEN);
	q.c_iflag &= ~(ISTRIP | INLCR | IGNCR | ICRNL | IUCLC | IXON | IXOFF | PARMRK | INPCK | IMAXBEL);
	q.c_cc[VERASE] = q.c_cc[VKILL] = q.c_cc[VEOF] = q.c_cc[VEOL] = q.c_cc[VEOL2] = 0;   /* 0: disabled */
	return q;
}

/* Make the line discipline take what was written to the master now (a
 * read that finds no ended line waits for the pty's buffer to be taken in,
 * then, non-blocking, returns EAGAIN). */
static void let_input_in(int slave)
{
	int flags = fcntl(slave, F_GETFL);
	char c;
	if (flags < 0 || fcntl(slave, F_SETFL, flags | O_NONBLOCK) < 0)
		return;
	if (read(slave, &c, 1) < 0 && errno != EAGAIN)
		errno = 0;
	fcntl(slave, F_SETFL, flags);
}

static int put_line_back(int m, int slave, const struct termios2 *tio, const char *line, uint32_t len, uint32_t index,
			 struct cryo_error *e)
{
	struct termios2 q = quiet_canonical(tio);
	int rc = ioctl(m, TCSETS2, &q) < 0 || write(m, line, len) != (ssize_t)len ? -1 : 0;
	if (!rc)
		let_input_in(slave);
	int set_back = ioctl(m, TCSETS2, tio);
	if (rc || set_back < 0)
		return cryo_fail_errno(e, getpid(), "ttys", rc ? "write" : "ioctl(TCSETS2)",
				       "cannot put the line being typed back into /dev/pts/%u", index);
	return 0;
}

/* The unfinished line of the slave (fd slave; tio its settings), taken and
 * put back: *line (malloc'ed) and *len, or NULL and 0. */
static int copy_unfinished_line(int m, int slave, const struct termios2 *tio, uint32_t index, pid_t pid, char **line,
				uint32_t *len, struct cryo_error *e)
{
	*line = NULL;
	*len = 0;
	if (!(tio->c_lflag & ICANON) || tio->c_lflag & EXTPROC)
		return 0;
	struct termios2 raw = *tio;
	raw.c_lflag &= ~ICANON;
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	int n = 0;
	if (ioctl(m, TCSETS2, &raw) < 0)
		return cryo_fail_errno(e, pid, "ttys", "ioctl(TCSETS2)", "cannot look at the line being typed into /dev/pts/%u", index);
	char *buf = NULL;
	ssize_t got = 0;
	if (ioctl(slave, FIONREAD, &n) == 0 && n > 0 && n < CRYO_TTY_MAX_INPUT && (buf = malloc((size_t)n)))
		got = read(slave, buf, (size_t)n);
	if (ioctl(m, TCSETS2, tio) < 0) {
		free(buf);
		return cryo_fail_errno(e, pid, "ttys", "ioctl(TCSETS2)", "cannot set /dev/pts/%u back", index);
	}
	if (n <= 0)
		return 0;
	if (!buf || got != n) {
		int err = !buf ? ENOMEM : errno ? errno : EIO;
		if (got > 0)
			put_line_back(m, slave, tio, buf, (uint32_t)got, index, e);
		free(buf);
		return cryo_fail(e, pid, "ttys", "read", err, "cannot read the line being typed into /dev/pts/%u (%d bytes)",
				 index, n);
	}
	if (put_line_back(m, slave, tio, buf, (uint32_t)n, index, e)) {
		free(buf);
		return -1;
	}
	if (memchr(buf, '\n', (size_t)n)) {             /* a literal newline (^V): typed back, it would end the line */
		free(buf);
		return cryo_fail(e, pid, "ttys", "", ENOTSUP,
				 "the line being typed into /dev/pts/%u holds a literal newline: not supported", index);
	}
	*line = buf;
	*len = (uint32_t)n;
	return 0;
}

/* *line (line_len bytes, malloc'ed or NULL) followed by output: the record's data. */
static int join_data(char **line, uint32_t line_len, const char *output, uint32_t output_len)
{
	char *both = realloc(*line, (size_t)line_len + output_len);
	if (!both)
		return -1;
	memcpy(both + line_len, output, output_len);
	*line = both;
	return 0;
}

/* Write what the slave had written back through it, with output processing
 * off (the bytes are processed already): the master finds them again. */
static int put_output_back(int m, int slave, const struct termios2 *tio, const char *out, uint32_t len, uint32_t index,
			   struct cryo_error *e)
{
	struct termios2 raw = *tio;
	raw.c_oflag &= ~OPOST;
	int flags = fcntl(slave, F_GETFL);
	ssize_t done = 0;
	if (ioctl(m, TCSETS2, &raw) == 0 && flags >= 0 && fcntl(slave, F_SETFL, flags | O_NONBLOCK) == 0) {
		while ((size_t)done < len) {
			ssize_t n = write(slave, out + done, len - (size_t)done);
			if (n <= 0)
				break;
			done += n;
		}
		fcntl(slave, F_SETFL, flags);
	}
	int set_back = ioctl(m, TCSETS2, tio);
	if ((size_t)done != len || set_back < 0)
		return cryo_fail_errno(e, getpid(), "ttys", (size_t)done != len ? "write" : "ioctl(TCSETS2)",
				       "cannot put the output the master of /dev/pts/%u had to read back (%zd of %u bytes)",
				       index, done, len);
	return 0;
}

/* Every byte the slave wrote and the master has not read, taken (the pty's
 * buffer too: a read that finds the master's queue empty waits for it):
 * *out (malloc'ed) and *len. */
static int take_output(int m, uint32_t index, pid_t pid, char **out, size_t *len, struct cryo_error *e)
{
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap);
	int flags = fcntl(m, F_GETFL);
	if (!buf || flags < 0 || fcntl(m, F_SETFL, flags | O_NONBLOCK) < 0) {
		free(buf);
		return cryo_fail_errno(e, pid, "ttys", "fcntl", "cannot look at the output queued in /dev/pts/%u", index);
	}
	errno = 0;
	for (;;) {
		if (got == cap) {
			char *grown = cap < CRYO_TTY_MAX_OUTPUT ? realloc(buf, cap * 2) : NULL;
			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
		ssize_t n = read(m, buf + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int err = errno;
	fcntl(m, F_SETFL, flags);
	*out = buf;
	*len = got;
	if (got >= CRYO_TTY_MAX_OUTPUT || (err != EAGAIN && err != EWOULDBLOCK && err != 0))
		return cryo_fail(e, pid, "ttys", "read", err ? err : EFBIG,
				 "cannot take the output queued in /dev/pts/%u (%zu bytes)", index, got);
	return 0;
}

/*
 * Is the slave's output stopped (^S under IXON, or tcflow(TCOOFF))?  No
 * interface tells: a stopped pty takes no byte from its slave.  So one byte
 * is written through the slave, unprocessed and non-blocking, with the
 * master's queue empty: refused, the output is stopped; taken, it is read
 * back from the master and nothing changed.  1 stopped, 0 not, -1 error.
 */
static int output_stopped(int m, int slave, const struct termios2 *tio)
{
	struct termios2 raw = *tio;
	raw.c_oflag &= ~OPOST;
	int flags = fcntl(slave, F_GETFL);
	if (flags < 0 || ioctl(m, TCSETS2, &raw) < 0 || fcntl(slave, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	ssize_t n = write(slave, "?", 1);
	int err = errno;
	fcntl(slave, F_SETFL, flags);
	int stopped = n == 1 ? 0 : err == EAGAIN || err == EWOULDBLOCK ? 1 : -1;
	char back;
	if (n == 1 && read(m, &back, 1) != 1)   /* blocking: the byte is there, or on its way */
		stopped = -1;
	return ioctl(m, TCSETS2, tio) < 0 ? -1 : stopped;
}

/* Type the character c into the slave's input (c_cc[which] of tio) and let
 * its line discipline act on it: a flow-control character, never queued. */
static int type_flow_char(int m, int slave, const struct termios2 *tio, int which)
{
	unsigned char c = tio->c_cc[which];
	if (!(tio->c_iflag & IXON) || c == _POSIX_VDISABLE || write(m, &c, 1) != 1)
		return -1;
	let_input_in(slave);
	return 0;
}

/* Resume a stopped slave's output; *flags gets how it was stopped: its start
 * character resumes a ^S, only TCOON a tcflow(TCOOFF) (and a ^S while IXON
 * was on, IXON then turned off, is not possible: that turn resumes it). */
static int resume_output(int m, int slave, const struct termios2 *tio, uint32_t *flags)
{
	if (type_flow_char(m, slave, tio, VSTART) == 0 && output_stopped(m, slave, tio) == 0) {
		*flags |= CRYO_TTY_STOPPED;
		return 0;
	}
	*flags |= CRYO_TTY_TCOOFF;
	return ioctl(slave, TCXONC, TCOON) < 0 || output_stopped(m, slave, tio) != 0 ? -1 : 0;
}

/* Stop the slave's output again the way flags says it was stopped. */
static int stop_output(int m, int slave, const struct termios2 *tio, uint32_t flags, uint32_t index,
		       struct cryo_error *e)
{
	if (!(flags & (CRYO_TTY_STOPPED | CRYO_TTY_TCOOFF)))
		return 0;
	int rc = flags & CRYO_TTY_STOPPED ? type_flow_char(m, slave, tio, VSTOP) : ioctl(slave, TCXONC, TCOOFF);
	if (rc < 0 || output_stopped(m, slave, tio) != 1)
		return cryo_fail_errno(e, getpid(), "ttys", flags & CRYO_TTY_STOPPED ? "write" : "ioctl(TCXONC)",
				       "cannot stop the output of /dev/pts/%u again (%s)", index,
				       flags & CRYO_TTY_STOPPED ? "its stop character" : "tcflow(TCOOFF)");
	return 0;
}

/* What the slave wrote and the master has not read, and whether the slave's
 * output is stopped: taken, the stop found (output_stopped) and lifted, the
 * output written back (put_output_back) and the stop put back in place:
 * *out (malloc'ed), *len and *flags (CRYO_TTY_STOPPED or CRYO_TTY_TCOOFF). */
static int copy_output(int m, int slave, const struct termios2 *tio, uint32_t index, pid_t pid, char **out,
		       uint32_t *len, uint32_t *flags, struct cryo_error *e)
{
	char *buf = NULL;
	size_t got = 0;
	if (take_output(m, index, pid, &buf, &got, e)) {
		if (got)
			put_output_back(m, slave, tio, buf, (uint32_t)got, index, e);
		free(buf);
		return -1;
	}
	int stopped = output_stopped(m, slave, tio);
	if (stopped < 0 || (stopped && resume_output(m, slave, tio, flags))) {
		free(buf);
		return cryo_fail_errno(e, pid, "ttys", "write", "cannot tell whether the output of /dev/pts/%u is stopped%s",
				       index, got ? " (its queued output is lost)" : "");
	}
	if ((got && put_output_back(m, slave, tio, buf, (uint32_t)got, index, e)) ||
	    stop_output(m, slave, tio, *flags, index, e)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (uint32_t)got;
	return 0;
}

/* A descriptor of the slave, to see the bytes waiting on its side (written
 * to the master, not read yet): a slave descriptor of the tree, else one of our own
 * (TIOCGPTPEER) unless the pty is locked: a slave open that fails leaves
 * the slave in error (the kernel's pty_open), a running job's terminal
 * included.  -1 when there is none (locked, no slave open: no process can read it). */
static int open_slave(const struct tree *t, int master, uint32_t index, int locked, struct cryo_error *e)
{
	int slave = -1;
	for (int k = 0; k < t->nr && slave < 0; k++)
		for (int i = 0; i < t->procs[k].nr_fds && slave < 0; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			if (f->r.kind == CRYO_FD_PTY_SLAVE && detail_index(f) == index)
				slave = proc_dup_fd(t->procs[k].proc.pid, f->r.fd, e);
		}
	if (slave < 0 && !locked)
		slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK);
	return slave;
}

/* Would the slave take output now?  With the master's queue empty, only a
 * stop says no (the pty's write room is 0 while stopped); poll asks without
 * writing, so a packet-mode master's status bytes are left alone. */
static int slave_may_write(int slave)
{
	struct pollfd p = { .fd = slave, .events = POLLOUT };
	return poll(&p, 1, 0) < 0 || (p.revents & POLLOUT);
}

static int slave_input_queued(int slave)
{
	int n = 0;
	if (slave < 0 || ioctl(slave, FIONREAD, &n) < 0)
		n = 0;
	return n;
}

/* Through the master: the slave's termios, window size, session and
 * foreground group (the kernel answers these for the slave), the master's
 * packet mode and lock.  Data queued either way cannot be read back
 * without consuming it: refused. */
static int read_pair(const struct tree *t, int m, pid_t pid, int fd, uint32_t index, struct cryo_tty *r,
		     char **line, struct cryo_error *e)
{
	struct termios2 tio;
	struct winsize ws;
	int packet = 0, locked = 0, queued = 0, sid = 0, fg = 0;
	if (ioctl(m, TCGETS2, &tio) < 0 || ioctl(m, TIOCGWINSZ, &ws) < 0)
		return cryo_fail_errno(e, pid, "ttys", "ioctl(TCGETS2)", "cannot read the settings of /dev/pts/%u (fd %d of process %d)",
				       index, fd, pid);
	ioctl(m, TIOCGPKT, &packet);
	ioctl(m, TIOCGPTLCK, &locked);
	if (ioctl(m, TIOCGSID, &sid) < 0)
		sid = 0;                            /* nobody's controlling terminal */
	if (!sid || ioctl(m, TIOCGPGRP, &fg) < 0)
		fg = 0;
	int slave = open_slave(t, m, index, locked, e);
	char *output = NULL;
	uint32_t output_len = 0, line_len = 0, stop = 0;
	if (ioctl(m, FIONREAD, &queued) < 0)
		queued = 0;
	/* packet mode reads carry status bytes; without a slave the bytes cannot be written back */
	if (packet && slave >= 0 && !queued && !slave_may_write(slave)) {
		close(slave);
		return cryo_fail(e, pid, "ttys", "poll", EBUSY,
				 "fd %d of process %d is the master of /dev/pts/%u (in packet mode), whose output is stopped (^S or "
				 "tcflow(TCOOFF)): refused (it cannot be told apart and stopped again in packet mode)", fd, pid, index);
	}
	if (queued > 0 || (slave >= 0 && !packet)) {
		if (packet || slave < 0 || copy_output(m, slave, &tio, index, pid, &output, &output_len, &stop, e)) {
			if (slave >= 0)
				close(slave);
			if (packet || slave < 0)
				return cryo_fail(e, pid, "ttys", "", EBUSY,
						 "fd %d of process %d is the master of /dev/pts/%u (%s), with %d bytes its slave wrote not "
						 "read yet: refused (they cannot be saved without being taken)", fd, pid, index,
						 packet ? "in packet mode" : "no slave open", queued);
			return -1;
		}
	}
	if ((queued = slave_input_queued(slave)) > 0) {
		close(slave);
		free(output);
		return cryo_fail(e, pid, "ttys", "", EBUSY,
				 "fd %d of process %d is the master of /dev/pts/%u, with %d bytes written to it that its slave "
				 "has not read yet: refused (they cannot be saved without being taken)", fd, pid, index, queued);
	}
	int rc = slave >= 0 ? copy_unfinished_line(m, slave, &tio, index, pid, line, &line_len, e) : 0;
	if (slave >= 0)
		close(slave);
	if (!rc && output_len && join_data(line, line_len, output, output_len))
		rc = cryo_fail(e, pid, "ttys", "malloc", ENOMEM, "out of memory");
	free(output);
	if (rc)
		return -1;
	*r = (struct cryo_tty){ .record_size = sizeof(*r), .index = index, .sid = sid, .fg_pgid = fg, .input_len = line_len,
				.output_len = output_len,
				.rdev = (uint32_t)makedev(PTS_MAJOR, index),
				.flags = (locked ? CRYO_TTY_LOCKED : 0) | (packet ? CRYO_TTY_PACKET : 0) | stop,
				.winsize = { ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel } };
	memcpy(r->termios2, &tio, sizeof(r->termios2));
	return 0;
}

static int capture_pair(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	uint32_t index = detail_index(f);
	if (find_pair(t, index))
		return 0;
	int m = proc_dup_fd(pid, f->r.fd, e);
	if (m < 0)
		return -1;
	struct cryo_tty r;
	char *line = NULL;
	int rc = read_pair(t, m, pid, f->r.fd, index, &r, &line, e);
	close(m);
	return rc || add_tty(t, &r, line, pid, e) ? -1 : 0;
}

/* stat field 7: the controlling terminal's device number, 0 if none. */
static unsigned long controlling_terminal(pid_t pid)
{
	char path[64], buf[1024] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *after = strrchr(buf, ')');
	unsigned long tty = 0;
	if (after && sscanf(after + 2, "%*c %*d %*d %*d %lu", &tty) != 1)
		tty = 0;
	return tty;
}

static int become_inherited(pid_t pid, struct fd_rec *f)
{
	(void)pid;
	free(f->detail);
	f->detail = NULL;
	f->detail_len = 0;
	f->r.kind = CRYO_FD_INHERIT;                /* the restart's own, as in BLCR */
	f->r.dup_of = -1;                           /* each of them: a terminal's 0, 1 and 2 are often one open file */
	return 0;
}

static int link_tty(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	const struct snapshot *s = &t->procs[k];
	pid_t pid = s->proc.pid;
	int stdio_of_root = tree_is_root(t, s) && f->r.fd <= 2;
	if (f->r.kind == CRYO_FD_PTY_MASTER)
		return capture_pair(t, pid, f, e);
	if (f->r.kind == CRYO_FD_PTY_SLAVE) {
		if (master_in_tree(t, detail_index(f)))
			return 0;
		if (stdio_of_root)
			return become_inherited(pid, f);
		return cryo_fail(e, pid, "ttys", "", ENOTSUP,
				 "fd %d of process %d is %s, a terminal whose master is outside the checkpoint: refused "
				 "(only stdin, stdout and stderr of the job may lead to such a terminal; they become cr_restart's)",
				 f->r.fd, pid, f->path);
	}
	unsigned long ctty = controlling_terminal(pid);
	if (ctty && major(ctty) == PTS_MAJOR && master_in_tree(t, minor(ctty)))
		return set_detail(pid, f, minor(ctty), e);
	if (stdio_of_root)
		return become_inherited(pid, f);
	if (!ctty)
		return cryo_fail(e, pid, "ttys", "", ENOTSUP, "fd %d of process %d is /dev/tty, but it has no controlling terminal: refused",
				 f->r.fd, pid);
	return cryo_fail(e, pid, "ttys", "", ENOTSUP,
			 "fd %d of process %d is /dev/tty, and its controlling terminal (device %u:%u) is outside the checkpoint: refused",
			 f->r.fd, pid, major(ctty), minor(ctty));
}

/* A session leader of the file whose controlling terminal leads outside it:
 * recorded, so that the restart can say it comes back without one. */
static int note_outside_terminal(struct tree *t, const struct snapshot *s, struct cryo_error *e)
{
	unsigned long ctty = controlling_terminal(s->proc.pid);
	if (!ctty || (major(ctty) == PTS_MAJOR && find_pair(t, minor(ctty))))
		return 0;
	struct cryo_tty r = { .record_size = sizeof(r), .flags = CRYO_TTY_OUTSIDE, .sid = s->proc.pid, .rdev = (uint32_t)ctty };
	return add_tty(t, &r, NULL, s->proc.pid, e);
}

static int capture_sessions(struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_ttys; i++) {
		struct cryo_tty *p = &t->ttys[i];
		if (p->sid && !tree_find(t, p->sid))
			return cryo_fail(e, p->sid, "ttys", "", ENOTSUP,
					 "/dev/pts/%u is the controlling terminal of session %d, whose leader is not in the checkpoint: "
					 "refused (checkpoint the session's leader and its descendants)", p->index, p->sid);
	}
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		if (s->proc.sid == s->proc.pid && s->proc.state != CRYO_PROCESS_ZOMBIE && note_outside_terminal(t, s, e))
			return -1;
	}
	return 0;
}

/* ---- restart: reading ---- */

/* A tty descriptor names a pair of the file. */
static int validate_tty(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return !f->detail || f->detail_len != sizeof(struct cryo_fd_tty) || !find_pair(t, detail_index(f));
}

/* ---- restart: the pairs, made by the restorer ---- */

static int nr_pairs(const struct tree *t)
{
	int n = 0;
	for (int i = 0; i < t->nr_ttys; i++)
		n += !(t->ttys[i].flags & CRYO_TTY_OUTSIDE);
	return n;
}

static int pool_slots(const struct tree *t)
{
	return 2 * nr_pairs(t);
}

/* Pair i's place in the pool (the pairs in record order, OUTSIDE ones skipped). */
static int pool_slot(const struct tree *t, const struct cryo_tty *p)
{
	int n = 0;
	for (int i = 0; i < t->nr_ttys && &t->ttys[i] != p; i++)
		n += !(t->ttys[i].flags & CRYO_TTY_OUTSIDE);
	return n;
}

static int ttys_first(const struct tree *t, int pool_base)
{
	return pool_first(t, pool_base, &ttys_resource);
}

/* The /dev/pts index each pair has now (the restorer sets it before any fork). */
static uint32_t *now_index;

static uint32_t index_now(const struct tree *t, const struct cryo_tty *p)
{
	return now_index ? now_index[pool_slot(t, p)] : p->index;
}

static int open_ptmx(int *index, struct cryo_error *e)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return cryo_fail_errno(e, getpid(), "ttys", "open", "cannot open /dev/ptmx to recreate a pty");
	if (ioctl(m, TIOCGPTN, index) < 0) {
		close(m);
		return cryo_fail_errno(e, getpid(), "ttys", "ioctl(TIOCGPTN)", "a new pty has no index");
	}
	return m;
}

/* ptmx hands out the lowest free index: masters are opened until each pair
 * has its own index, the ones below kept open meanwhile; where an index is
 * taken (one above it came), the pair takes the next one free, and the
 * restart says so. */
static int open_masters(const struct tree *t, int *masters, int n, struct cryo_error *e)
{
	int fillers[MAX_PTY_OPENS], nr_fillers = 0, left = n, rc = 0;
	for (int i = 0; i < n; i++)
		masters[i] = -1;
	while (left && !rc) {
		int index, m = open_ptmx(&index, e);
		if (m < 0) {
			rc = -1;
			break;
		}
		int want = -1, below = 0;
		for (int i = 0, slot = 0; i < t->nr_ttys; i++) {
			if (t->ttys[i].flags & CRYO_TTY_OUTSIDE)
				continue;
			if (masters[slot] < 0 && t->ttys[i].index == (uint32_t)index)
				want = slot;
			if (masters[slot] < 0 && t->ttys[i].index > (uint32_t)index)
				below = 1;
			slot++;
		}
		if (want < 0 && below && nr_fillers < MAX_PTY_OPENS) {
			fillers[nr_fillers++] = m;      /* an index below a wanted one: held until it is reached */
			continue;
		}
		for (int slot = 0; want < 0 && slot < n; slot++)
			if (masters[slot] < 0)
				want = slot;            /* its own index is taken: this one instead */
		masters[want] = m;
		now_index[want] = (uint32_t)index;
		left--;
	}
	for (int i = 0; i < nr_fillers; i++)
		close(fillers[i]);
	return rc;
}

static void say_relocated(const struct tree *t)
{
	for (int i = 0; i < t->nr_ttys; i++) {
		const struct cryo_tty *p = &t->ttys[i];
		if (!(p->flags & CRYO_TTY_OUTSIDE) && index_now(t, p) != p->index)
			fprintf(stderr, "cryo-engine restore: warning: /dev/pts/%u is taken: its pty comes back as /dev/pts/%u\n",
				p->index, index_now(t, p));
	}
}

/* Unlocked (until ttys_lock_again), the slave's settings through the master, a slave of the pool's. */
static int set_up_pair(const struct tree *t, const struct cryo_tty *p, int m, int *slave, struct cryo_error *e)
{
	pid_t self = getpid();
	int unlock = 0, packet = 1;
	struct termios2 tio;
	struct winsize ws = { p->winsize[0], p->winsize[1], p->winsize[2], p->winsize[3] };
	memcpy(&tio, p->termios2, sizeof(tio));
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TCSETS2, &tio) < 0 || ioctl(m, TIOCSWINSZ, &ws) < 0 ||
	    (p->flags & CRYO_TTY_PACKET && ioctl(m, TIOCPKT, &packet) < 0))
		return cryo_fail_errno(e, self, "ttys", "ioctl", "cannot give /dev/pts/%u its settings back", index_now(t, p));
	*slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);   /* (an O_CLOEXEC here would stay in the open file's flags) */
	if (*slave < 0)
		return cryo_fail_errno(e, self, "ttys", "ioctl(TIOCGPTPEER)", "cannot open the slave of /dev/pts/%u", index_now(t, p));
	/* root restarting a user's job: the terminal is the user's, as a login's would be */
	if (geteuid() == 0 && fchown(*slave, t->procs[0].proc.uid[1], (gid_t)-1) < 0)
		return cryo_fail_errno(e, self, "ttys", "fchown", "cannot give /dev/pts/%u to uid %u", index_now(t, p),
				       t->procs[0].proc.uid[1]);
	return 0;
}

/* The line that was being typed into pair i, typed in again (its settings already set). */
static int type_line_again(const struct tree *t, int i, int m, int slave, struct cryo_error *e)
{
	const struct cryo_tty *p = &t->ttys[i];
	if (!p->input_len || !t->tty_input || !t->tty_input[i])
		return 0;
	struct termios2 tio;
	memcpy(&tio, p->termios2, sizeof(tio));
	return put_line_back(m, slave, &tio, t->tty_input[i], p->input_len, index_now(t, p), e);
}

/* The output the master of pair i had to read, written again by its slave. */
static int write_output_again(const struct tree *t, int i, int m, int slave, struct cryo_error *e)
{
	const struct cryo_tty *p = &t->ttys[i];
	if (!p->output_len || !t->tty_input || !t->tty_input[i])
		return 0;
	struct termios2 tio;
	memcpy(&tio, p->termios2, sizeof(tio));
	return put_output_back(m, slave, &tio, t->tty_input[i] + p->input_len, p->output_len, index_now(t, p), e);
}

/* Pair i's output stopped again, as it was (its queued output back in first). */
static int stop_output_again(const struct tree *t, int i, int m, int slave, struct cryo_error *e)
{
	const struct cryo_tty *p = &t->ttys[i];
	struct termios2 tio;
	memcpy(&tio, p->termios2, sizeof(tio));
	return stop_output(m, slave, &tio, p->flags, index_now(t, p), e);
}

static int place_at(int fd, int at, int above, struct cryo_error *e)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, above);
	close(fd);
	if (high < 0 || dup3(high, at, O_CLOEXEC) < 0)
		return cryo_fail_errno(e, getpid(), "ttys", "dup3", "cannot place a pty at fd %d", at);
	close(high);
	return 0;
}

static int create_in_pool(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e)
{
	(void)relocate;
	int n = nr_pairs(t);
	if (!n)
		return 0;
	int *masters = calloc((size_t)n, sizeof(*masters));
	free(now_index);
	now_index = calloc((size_t)n, sizeof(*now_index));
	if (!masters || !now_index) {
		free(masters);
		return cryo_fail(e, getpid(), "ttys", "malloc", ENOMEM, "out of memory");
	}
	int rc = open_masters(t, masters, n, e);
	for (int i = 0, slot = 0; !rc && i < t->nr_ttys; i++) {
		if (t->ttys[i].flags & CRYO_TTY_OUTSIDE)
			continue;
		int slave = -1;
		rc = set_up_pair(t, &t->ttys[i], masters[slot], &slave, e) ||
		     type_line_again(t, i, masters[slot], slave, e) || write_output_again(t, i, masters[slot], slave, e) ||
		     stop_output_again(t, i, masters[slot], slave, e) ||
		     place_at(masters[slot], first + 2 * slot, above, e) || place_at(slave, first + 2 * slot + 1, above, e) ? -1 : 0;
		masters[slot] = -1;
		slot++;
	}
	for (int i = 0; i < n; i++)
		if (masters[i] >= 0)
			close(masters[i]);
	free(masters);
	if (!rc)
		say_relocated(t);
	return rc;
}

int ttys_lock_again(const struct tree *t, int pool_base, struct cryo_error *e)
{
	int first = ttys_first(t, pool_base), lock = 1;
	for (int i = 0; i < t->nr_ttys; i++) {
		const struct cryo_tty *p = &t->ttys[i];
		if (!(p->flags & CRYO_TTY_OUTSIDE) && p->flags & CRYO_TTY_LOCKED &&
		    ioctl(first + 2 * pool_slot(t, p), TIOCSPTLCK, &lock) < 0)
			return cryo_fail_errno(e, getpid(), "ttys", "ioctl(TIOCSPTLCK)", "cannot lock /dev/pts/%u again", index_now(t, p));
	}
	return 0;
}

/* ---- restart: in each process ---- */

/* The last number of a /proc/PID/status line: the id as the job's namespace sees it. */
static pid_t status_id(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	pid_t id = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			char *last = strrchr(line, '\t');
			id = last ? (pid_t)atoi(last + 1) : 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return id;
}

static int slave_slot(const struct tree *t, const struct cryo_tty *p, int pool_base)
{
	return ttys_first(t, pool_base) + 2 * pool_slot(t, p) + 1;
}

/* A session leader whose session had a pty of the tree as its controlling terminal takes it again. */
static int take_controlling_terminal(struct rexec *x, const struct tree *t, const struct snapshot *s, int pool_base,
				     struct cryo_error *e)
{
	for (int i = 0; i < t->nr_ttys; i++) {
		const struct cryo_tty *p = &t->ttys[i];
		if (p->sid != s->proc.pid)
			continue;
		if (p->flags & CRYO_TTY_OUTSIDE) {
			fprintf(stderr, "cryo-engine restore: warning: process %d led session %d, whose controlling terminal "
				"(device %u:%u) was outside the checkpoint: it comes back without one\n", x->pid, p->sid,
				major(p->rdev), minor(p->rdev));
			continue;
		}
		if (status_id(x->pid, "NSsid") != status_id(x->pid, "NSpid"))
			continue;                   /* its session was not restored (--no-restore-sid): its /dev/tty fails below */
		if (rexec_call(x, "ttys", "ioctl(TIOCSCTTY)", SYS_ioctl, slave_slot(t, p, pool_base), TIOCSCTTY, 0, 0, 0, 0,
			       NULL, e, "cannot make /dev/pts/%u its controlling terminal again", index_now(t, p)))
			return -1;
	}
	return 0;
}

/* The leader of a session's foreground group makes it the foreground again
 * (TIOCSCTTY made the session leader's own group the foreground).  Said if
 * it cannot be, not refused. */
static void take_foreground(struct rexec *x, const struct tree *t, const struct snapshot *s, int pool_base)
{
	for (int i = 0; i < t->nr_ttys; i++) {
		const struct cryo_tty *p = &t->ttys[i];
		if (p->flags & CRYO_TTY_OUTSIDE || !p->sid || p->fg_pgid != s->proc.pid || p->fg_pgid == p->sid)
			continue;
		int32_t group = status_id(x->pid, "NSpgid");
		uint64_t at;
		long r;
		struct cryo_error ignored;
		if (group != status_id(x->pid, "NSpid") || rexec_put(x, 0, &group, sizeof(group), &at, &ignored) ||
		    rexec_syscall(x, SYS_ioctl, slave_slot(t, p, pool_base), TIOCSPGRP, (long)at, 0, 0, 0, &r, &ignored) || r < 0)
			fprintf(stderr, "cryo-engine restore: warning: process group %d is not the foreground of /dev/pts/%u "
				"again\n", p->fg_pgid, index_now(t, p));
	}
}

int ttys_restore_terminal(struct rexec *x, const struct tree *t, const struct snapshot *s, int pool_base,
			  struct cryo_error *e)
{
	if (!t->nr_ttys || take_controlling_terminal(x, t, s, pool_base, e))
		return t->nr_ttys ? -1 : 0;
	take_foreground(x, t, s, pool_base);
	return 0;
}

/* tmp to f's number, with f's close-on-exec. */
static int put_at(struct rexec *x, long tmp, const struct fd_rec *f, struct cryo_error *e)
{
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	if (tmp == f->r.fd)
		return rexec_call(x, "ttys", "fcntl(F_SETFD)", SYS_fcntl, tmp, F_SETFD, cloexec ? FD_CLOEXEC : 0, 0, 0, 0, NULL,
				  e, "cannot set the flags of fd %d", f->r.fd);
	return rexec_call(x, "ttys", "dup3", SYS_dup3, tmp, f->r.fd, cloexec, 0, 0, 0, NULL, e, "cannot put fd %d in place",
			  f->r.fd) ||
	       rexec_call(x, "ttys", "close", SYS_close, tmp, 0, 0, 0, 0, 0, NULL, e, "cannot close fd %ld", tmp) ? -1 : 0;
}

/* No O_CLOEXEC: TIOCGPTPEER would keep it in the open file's flags; put_at sets the descriptor's. */
static long open_flags(const struct fd_rec *f)
{
	return (long)(f->r.open_flags & ~(uint32_t)(O_CREAT | O_TRUNC | O_EXCL)) | O_NOCTTY;
}

/* The pool's open file: the same one for every master descriptor (there is only one). */
static int restore_master(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	const struct cryo_tty *p = find_pair(c->t, detail_index(f));
	long tmp;
	return rexec_call(x, "ttys", "fcntl(F_DUPFD)", SYS_fcntl, slave_slot(c->t, p, c->pool) - 1, F_DUPFD_CLOEXEC, 0, 0, 0,
			  0, &tmp, e, "cannot take the master of /dev/pts/%u", index_now(c->t, p)) ||
	       rexec_call(x, "ttys", "fcntl(F_SETFL)", SYS_fcntl, tmp, F_SETFL, (long)f->r.open_flags, 0, 0, 0, NULL, e,
			  "cannot set the flags of fd %d", f->r.fd) ||
	       put_at(x, tmp, f, e) ? -1 : 0;
}

/* An open file of its own, without a path (no permission check on the node's /dev/pts). */
static int restore_slave(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	const struct cryo_tty *p = find_pair(c->t, detail_index(f));
	long tmp;
	return rexec_call(x, "ttys", "ioctl(TIOCGPTPEER)", SYS_ioctl, slave_slot(c->t, p, c->pool) - 1, TIOCGPTPEER,
			  open_flags(f), 0, 0, 0, &tmp, e, "cannot open /dev/pts/%u again", index_now(c->t, p)) ||
	       put_at(x, tmp, f, e) ? -1 : 0;
}

/* /dev/tty must name the pty of the tree: a process whose session is
 * another (--no-restore-sid) would get the restart's terminal. */
static int restore_dev_tty(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	const struct cryo_tty *p = find_pair(c->t, detail_index(f));
	unsigned long want = makedev(PTS_MAJOR, index_now(c->t, p)), now = controlling_terminal(x->pid);
	uint64_t path;
	long tmp;
	if (now != want)
		return cryo_fail(e, x->pid, "ttys", "", ENXIO,
				 "fd %d of process %d was /dev/tty, /dev/pts/%u, but its session has %s as controlling terminal now "
				 "(was the session restored? --no-restore-sid keeps the restart's)", f->r.fd, x->pid,
				 index_now(c->t, p), now ? "another terminal" : "no terminal");
	return rexec_put_string(x, 0, "/dev/tty", &path, e) ||
	       rexec_call(x, "ttys", "openat", SYS_openat, AT_FDCWD, (long)path, open_flags(f), 0, 0, 0, &tmp, e,
			  "cannot open /dev/tty as fd %d", f->r.fd) ||
	       put_at(x, tmp, f, e) ? -1 : 0;
}

/* ---- the kinds (fdtypes.h, resources.h) ---- */

/* Made by injection once the address space is back, after the session
 * (ttys_restore_terminal): /dev/tty needs its controlling terminal. */
const struct fd_ops pty_master_fd_ops = {
	.kind = CRYO_FD_PTY_MASTER, .name = "pty master", .classify = classify_master, .link_tree = link_tty,
	.validate = validate_tty, .restore = restore_master, .needs_memory = 1,
};
const struct fd_ops pty_slave_fd_ops = {
	.kind = CRYO_FD_PTY_SLAVE, .name = "pty slave", .classify = classify_slave, .link_tree = link_tty,
	.validate = validate_tty, .restore = restore_slave, .needs_memory = 1,
};
const struct fd_ops dev_tty_fd_ops = {
	.kind = CRYO_FD_DEV_TTY, .name = "controlling terminal (/dev/tty)", .classify = classify_dev_tty,
	.link_tree = link_tty, .validate = validate_tty, .restore = restore_dev_tty, .needs_memory = 1,
};

const struct resource_ops ttys_resource = {
	.section = CRYO_SEC_TTYS, .name = "ttys", .capture = capture_sessions, .write = tree_write_ttys,
	.read = tree_read_ttys, .free = tree_free_ttys, .pool_slots = pool_slots, .create_in_pool = create_in_pool,
};
