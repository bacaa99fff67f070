/*
 * no_reaper COMMAND [ARGS...]: runs COMMAND under a child subreaper that reaps
 * COMMAND itself at once but leaves every orphan it adopts a zombie until
 * SIGTERM, as an init that reaps late (or never) would.  A cr_checkpoint
 * --kill of COMMAND's tree must not depend on it: each process is reaped by
 * its own parent, so the tree is gone when the checkpoint returns.
 * On SIGTERM: every child left is killed and reaped, and it exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_all(void)
{
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	sigset_t set;
	if (argc < 2) {
		fprintf(stderr, "usage: no_reaper COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("no_reaper: prctl(PR_SET_CHILD_SUBREAPER)");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t child = fork();
	if (child < 0) {
		perror("no_reaper: fork");
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		execvp(argv[1], argv + 1);
		perror("no_reaper: exec");
		_exit(127);
	}
	for (;;) {
		int sig;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM)
			break;
		/* its own child only: the adopted ones stay zombies */
		if (child > 0 && waitpid(child, NULL, WNOHANG) == child)
			child = 0;
	}
	if (child > 0)
		kill(child, SIGKILL);
	reap_all();
	return 0;
}
