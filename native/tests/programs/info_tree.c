/*
 * A three-process tree for `cryo info`: the root R holds a log file (fd 3),
 * the write end of a pipe to B and one end of a Unix socket pair whose other
 * end is A's; A also holds an eventfd with a count of 5; B holds the read
 * end of the pipe, 100 bytes in it, and names itself with terminal control
 * characters (comm "b<ESC>[2J<BEL>x"), which `cryo info` must show escaped.
 * Prints "CHILDREN A B" before READY.  After the go (a restart included):
 * each checks what it holds; PASS from the root when both children passed.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define PIPE_BYTES 100
#define EVIL_COMM "b\033[2J\007x"

static int child_a(int sock, int efd)
{
	tl_wait_go();
	uint64_t count = 0;
	int ok = read(efd, &count, sizeof(count)) == sizeof(count) && count == 5;
	ok &= write(sock, "A", 1) == 1;
	return ok ? 0 : 1;
}

static int child_b(int pipe_r)
{
	prctl(PR_SET_NAME, EVIL_COMM);
	tl_wait_go();
	char buf[PIPE_BYTES];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t n = read(pipe_r, buf + got, sizeof(buf) - got);
		if (n <= 0)
			return 1;
		got += (size_t)n;
	}
	char comm[16] = {0};
	prctl(PR_GET_NAME, comm);
	return tl_find_mismatch(buf, sizeof(buf), 7) < 0 && !strcmp(comm, EVIL_COMM) ? 0 : 1;
}

static void check_child(pid_t pid, const char *name)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("child %s found its state wrong", name);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[512];
	int log = open(tl_work_path(path, sizeof(path), "info.log"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	int p[2], sv[2];
	if (log != 3 || pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	pid_t a = fork();
	if (a == 0) {
		close(p[0]);
		close(p[1]);
		close(sv[0]);
		int efd = eventfd(5, 0);
		_exit(efd < 0 ? 1 : child_a(sv[1], efd));
	}
	pid_t b = fork();
	if (b == 0) {
		close(p[1]);
		close(sv[0]);
		close(sv[1]);
		_exit(child_b(p[0]));
	}
	close(p[0]);
	close(sv[1]);
	char buf[PIPE_BYTES];
	tl_fill(buf, sizeof(buf), 7);
	if (write(p[1], buf, sizeof(buf)) != sizeof(buf))
		return 1;
	/* until B has named itself and A holds its eventfd */
	for (int i = 0; i < 1000; i++) {
		char comm[64] = "", f[64];
		snprintf(f, sizeof(f), "/proc/%d/comm", (int)b);
		snprintf(path, sizeof(path), "/proc/%d/fd/4", (int)a);
		if (tl_read_file(f, comm, sizeof(comm)) > 0 && comm[0] == 'b' && comm[1] == '\033' &&
		    access(path, F_OK) == 0)
			break;
		tl_sleep_ms(10);
	}
	printf("CHILDREN %d %d\n", (int)a, (int)b);
	tl_ready();
	tl_wait_go();
	char c = 0;
	if (read(sv[0], &c, 1) != 1 || c != 'A')
		tl_fail("no byte from A over the socket pair");
	check_child(a, "A");
	check_child(b, "B");
	TL_CHECK(write(log, "done", 4) == 4, "the log file");
	return tl_finish();
}
