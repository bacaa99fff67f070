/*
 * A child stopped by job control (SIGSTOP from its parent; SIGTSTP would do
 * the same, but the kernel drops it when the test's process group is
 * orphaned, as under a test runner it may be) must come back stopped: it does not run on its own, its
 * parent sees it stopped, continues it with SIGCONT, sees that with
 * WCONTINUED, and only then does the child write its byte and exit 0.
 * The child exits only once the parent says so: a child that exited before
 * its parent's waitpid(WCONTINUED) would report its exit instead (the
 * kernel reports a zombie first), and the test would fail under load.
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t continued;
static void on_cont(int sig) { (void)sig; continued = 1; }

static char state_of(pid_t pid)
{
	char path[64], buf[512] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (tl_read_file(path, buf, sizeof(buf) - 1) <= 0)
		return '?';
	char *close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* waitpid with WNOHANG, polled until an event that cond accepts (10 s at most). */
static int wait_for(pid_t pid, int flags, int (*cond)(int), int *status)
{
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(pid, status, flags | WNOHANG);
		if (r == pid && cond(*status))
			return 0;
		if (r < 0)
			return -1;
		tl_sleep_ms(10);
	}
	return -1;
}

static int is_stopped(int st) { return WIFSTOPPED(st); }
static int is_continued(int st) { return WIFCONTINUED(st); }
static int is_exited(int st) { return WIFEXITED(st) || WIFSIGNALED(st); }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int p[2], done[2];
	if (pipe(p) || pipe(done)) {
		tl_fail("pipe");
		return tl_finish();
	}
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		close(done[1]);
		signal(SIGCONT, on_cont);
		if (write(p[1], "r", 1) != 1)
			_exit(2);
		while (!continued)  /* stopped in here; after SIGCONT it reports */
			tl_sleep_ms(10);
		if (write(p[1], "x", 1) != 1)
			_exit(3);
		_exit(read(done[0], &(char){0}, 1) == 1 ? 0 : 4);   /* the parent has seen WCONTINUED */
	}
	close(p[1]);
	close(done[0]);
	char c;
	TL_CHECK(read(p[0], &c, 1) == 1 && c == 'r', "no byte from the child");
	int st;
	kill(child, SIGSTOP);
	TL_CHECK(wait_for(child, WUNTRACED, is_stopped, &st) == 0 && WSTOPSIG(st) == SIGSTOP, "the child did not stop");
	fcntl(p[0], F_SETFL, O_NONBLOCK);

	tl_ready();
	tl_wait_go();

	char s = '?';
	for (int i = 0; i < 500 && (s = state_of(child)) != 'T'; i++)
		tl_sleep_ms(10);
	TL_CHECK(s == 'T', "the child is in state %c, was stopped (T)", s);
	tl_sleep_ms(200);
	TL_CHECK(read(p[0], &c, 1) < 0 && errno == EAGAIN, "the stopped child ran (wrote to its pipe)");
	TL_CHECK(kill(child, SIGCONT) == 0, "SIGCONT: %s", strerror(errno));
	TL_CHECK(wait_for(child, WCONTINUED, is_continued, &st) == 0, "no WCONTINUED report for the child");
	struct pollfd pfd = { p[0], POLLIN, 0 };
	TL_CHECK(poll(&pfd, 1, 10000) == 1 && read(p[0], &c, 1) == 1, "the continued child did not run");
	TL_CHECK(write(done[1], "e", 1) == 1, "cannot tell the child to exit: %s", strerror(errno));
	int exited = wait_for(child, 0, is_exited, &st) == 0;
	TL_CHECK(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child did not exit 0 (status %#x)", st);
	if (!exited) {      /* leave nothing running */
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return tl_finish();
}
