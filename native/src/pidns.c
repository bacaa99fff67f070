/*
 * cr_run --pid-ns: a job in a PID namespace of its own, so that its restart
 * never collides with PIDs on this node or another (the restart recreates
 * the namespace, restore.c).  The namespace's init is a small loop of ours:
 * it starts the command as PID 2, reaps orphans, passes signals on, and
 * ends with the command's status.
 */
#include "cryo/cryo.h"
#include "error.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t command_pid;

static void pass_on(int sig)
{
	if (command_pid > 0)
		kill(command_pid, sig);
}

/* PID 1 of the namespace: never returns. */
static void namespace_init(char **argv)
{
	static const int passed[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP };
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "cr_run: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		_exit(126);
	command_pid = pid;
	/* an init gets only the signals it has handlers for: these go to the command */
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		signal(passed[i], pass_on);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;) {
		int status;
		pid_t done = waitpid(-1, &status, 0);
		if (done < 0 && errno == EINTR)
			continue;
		if (done == command_pid || done < 0)
			_exit(done < 0 ? 125 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}

int cryo_run_in_pid_namespace(char **argv, pid_t *init_pid, struct cryo_error *e)
{
	if (unshare(CLONE_NEWPID) < 0)
		return cryo_fail_errno(e, 0, "process", "unshare(CLONE_NEWPID)",
				       "cannot create a PID namespace for the job (needs root or CAP_SYS_ADMIN)");
	pid_t pid = fork();
	if (pid < 0)
		return cryo_fail_errno(e, 0, "process", "fork", "cannot start the job's namespace");
	if (pid == 0)
		namespace_init(argv);
	*init_pid = pid;
	return 0;
}
