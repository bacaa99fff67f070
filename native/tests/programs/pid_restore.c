/*
 * The PID: restored by default, so getpid(), gettid(), /proc/self and the
 * thread's own tid (used by raise()) are the original ones.  With
 * argv[2] = "new" the restart was asked for a new PID: the program reports
 * "PID <original> <now>" and only checks that it is consistent with itself.
 */
#include "testlib.h"
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>

static volatile int raised;
static void on_usr1(int sig) { raised++; }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int expect_same = !(argc > 2 && strcmp(argv[2], "new") == 0);
	signal(SIGUSR1, on_usr1);
	pid_t pid = getpid();

	tl_ready();
	tl_wait_go();

	pid_t now = getpid();
	pid_t raw = (pid_t)syscall(SYS_getpid), tid = (pid_t)syscall(SYS_gettid);
	tl_info("PID %d %d", (int)pid, (int)now);
	if (expect_same)
		TL_CHECK(now == pid, "getpid() = %d, was %d", now, pid);
	TL_CHECK(raw == now && tid == now, "getpid() %d, raw getpid %d, gettid %d disagree", now, raw, tid);
	char self[64] = "";
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	TL_CHECK(atoi(self) == now, "/proc/self is %s, getpid() %d", self, now);
	/* raise() signals the thread by its cached tid. */
	TL_CHECK(raise(SIGUSR1) == 0 && raised == 1, "raise(SIGUSR1) after restart: delivered %d times", raised);
	return tl_finish();
}
