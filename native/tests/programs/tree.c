/*
 * A process tree: the root, blocked in wait4() at checkpoint time on a
 * child W that waits for the go file; child A with a grandchild A1 in a
 * session of its own; child B in a process group of its own, reading a pipe
 * from A that holds data A wrote before the checkpoint; a zombie Z the root
 * has not reaped; a log file whose one offset the root and A share.
 * After the restart: parent/child relations, groups, sessions, the zombie's
 * status, the pipe's data and the shared offset are all as they were.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/wait.h>

#define PIPE_BYTES 3000

static pid_t root;

static void child_exit(int ok) { exit(ok ? 0 : 1); }

static void grandchild_a1(void)
{
	setsid();
	tl_wait_go();
	child_exit(getsid(0) == getpid() && getppid() != root);
}

static void child_a(int pipe_w, int log)
{
	pid_t a1 = fork();
	if (a1 == 0)
		grandchild_a1();
	char buf[PIPE_BYTES];
	tl_fill(buf, sizeof(buf), 42);
	if (write(pipe_w, buf, sizeof(buf)) != sizeof(buf))     /* in the pipe, unread, at checkpoint */
		child_exit(0);
	tl_wait_go();
	int ok = getppid() == root;
	int st;
	ok &= waitpid(a1, &st, 0) == a1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	ok &= write(log, "A", 1) == 1;                          /* at the offset it shares with the root */
	child_exit(ok);
}

static void child_b(int pipe_r)
{
	setpgid(0, 0);
	tl_wait_go();
	char buf[PIPE_BYTES];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t n = read(pipe_r, buf + got, sizeof(buf) - got);
		if (n <= 0)
			child_exit(0);
		got += (size_t)n;
	}
	child_exit(getppid() == root && getpgid(0) == getpid() && tl_find_mismatch(buf, sizeof(buf), 42) < 0);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	root = getpid();
	char path[512];
	int log = open(tl_work_path(path, sizeof(path), "tree.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (write(log, "R", 1) != 1)
		return 1;
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t a = fork();
	if (a == 0) {
		close(p[0]);
		child_a(p[1], log);
	}
	pid_t b = fork();
	if (b == 0) {
		close(p[1]);
		child_b(p[0]);
	}
	close(p[0]);
	close(p[1]);
	pid_t z = fork();
	if (z == 0)
		_exit(7);
	pid_t w = fork();
	if (w == 0) {
		tl_wait_go();
		_exit(0);
	}
	while (kill(z, 0) == 0 && waitid(P_PID, z, &(siginfo_t){0}, WEXITED | WNOWAIT) != 0)
		tl_sleep_ms(5);
	tl_sleep_ms(100);               /* A has written into the pipe by now */
	tl_ready();

	int st;
	if (waitpid(w, &st, 0) != w || !WIFEXITED(st))        /* blocked here at checkpoint time */
		tl_fail("wait4 for W");
	if (waitpid(z, &st, 0) != z || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		tl_fail("the zombie's status is lost");
	if (waitpid(a, &st, 0) != a || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("child A (pipe writer, grandchild, shared offset) failed");
	if (waitpid(b, &st, 0) != b || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("child B (pipe reader, own group) failed");
	if (write(log, "r", 1) != 1)
		tl_fail("log write");
	char content[8] = {0};
	if (pread(log = open(path, O_RDONLY), content, sizeof(content) - 1, 0) < 0 || strcmp(content, "RAr"))
		tl_fail("the shared log offset: file holds '%s', not 'RAr'", content);
	return tl_finish();
}
