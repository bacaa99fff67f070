/*
 * Pipes and FIFOs whose other end is closed in every process: a pipe and a
 * FIFO with data buffered and no writer left (the reader gets the data,
 * then EOF), and a pipe and a FIFO with no reader left (the writer gets
 * EPIPE, and SIGPIPE when it does not ignore it).
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

/* The data, then EOF; never blocking (a writer left somewhere would block us). */
static void expect_data_then_eof(int fd, const char *data, const char *what)
{
	char buf[64] = {0};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		tl_fail("%s: nothing to read, and no EOF", what);
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n != (ssize_t)strlen(data) || strcmp(buf, data))
		tl_fail("%s: read %zd bytes '%s', not '%s'", what, n, buf, data);
	if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLHUP) || (n = read(fd, buf, sizeof(buf))) != 0)
		tl_fail("%s: no EOF after the data (a writer is left)", what);
}

static void expect_epipe(int fd, const char *what)
{
	int before = sigpipes;
	errno = 0;
	ssize_t n = write(fd, "x", 1);
	if (n != -1 || errno != EPIPE)
		tl_fail("%s: write gave %zd (%s), not EPIPE", what, n, strerror(errno));
	if (sigpipes != before + 1)
		tl_fail("%s: %d SIGPIPE, not 1", what, sigpipes - before);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	signal(SIGPIPE, on_sigpipe);
	int no_writer[2], no_reader[2];
	if (pipe(no_writer) < 0 || pipe(no_reader) < 0)
		return 1;
	if (write(no_writer[1], "pipe data", 9) != 9 || write(no_reader[1], "lost", 4) != 4)
		return 1;
	close(no_writer[1]);
	close(no_reader[0]);

	char path_r[512], path_w[512];
	tl_work_path(path_r, sizeof(path_r), "no-writer.fifo");
	tl_work_path(path_w, sizeof(path_w), "no-reader.fifo");
	if (mkfifo(path_r, 0600) < 0 || mkfifo(path_w, 0600) < 0)
		return 1;
	int fifo_r = open(path_r, O_RDONLY | O_NONBLOCK);
	int w = open(path_r, O_WRONLY);
	if (fifo_r < 0 || w < 0 || write(w, "fifo data", 9) != 9)
		return 1;
	close(w);
	fcntl(fifo_r, F_SETFL, 0);                          /* a blocking reader */
	int r = open(path_w, O_RDONLY | O_NONBLOCK);
	int fifo_w = open(path_w, O_WRONLY);
	if (r < 0 || fifo_w < 0)
		return 1;
	close(r);

	tl_ready();
	tl_wait_go();
	expect_data_then_eof(no_writer[0], "pipe data", "pipe without a writer");
	expect_data_then_eof(fifo_r, "fifo data", "FIFO without a writer");
	expect_epipe(no_reader[1], "pipe without a reader");
	expect_epipe(fifo_w, "FIFO without a reader");
	return tl_finish();
}
