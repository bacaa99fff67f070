/*
 * A process-wide pending SIGCHLD with the kernel's own siginfo (CLD_EXITED,
 * the child's PID and status): SIGCHLD is blocked and the child has exited,
 * unreaped, before the checkpoint.  After the go the signal must still be
 * pending with that siginfo, and the zombie still there to reap.  Restored
 * into a PID namespace and from there again, the kernel takes such a siginfo
 * only from the process itself, named as it sees itself.
 */
#include "testlib.h"
#include <sys/wait.h>
#include <time.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid_t child = fork();
	if (child == 0)
		_exit(5);
	for (;;) {
		sigset_t pending;
		sigpending(&pending);
		if (sigismember(&pending, SIGCHLD))
			break;
		usleep(1000);
	}
	tl_ready();
	tl_wait_go();
	siginfo_t si;
	struct timespec now = { 0, 0 };
	int sig = sigtimedwait(&chld, &si, &now);
	TL_CHECK(sig == SIGCHLD, "SIGCHLD no longer pending (sigtimedwait: %d)", sig);
	TL_CHECK(si.si_code == CLD_EXITED && si.si_status == 5 && si.si_pid == child,
		 "SIGCHLD's siginfo: code %d status %d pid %d (child %d)", si.si_code, si.si_status, si.si_pid, child);
	int status = 0;
	TL_CHECK(waitpid(child, &status, WNOHANG) == child && WIFEXITED(status) && WEXITSTATUS(status) == 5,
		 "the zombie child, status %#x", status);
	return tl_finish();
}
