/*
 * A restart as a command runs it: the restore in this process, which stays
 * the restored processes' parent, waits for them and ends as the first root
 * did, so that a batch script (or a shell) sees the job's own status, a
 * death by a signal included.  BLCR's --run-on-* hooks let a script tell a
 * failed restart from a job that failed.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

int exit_like(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	/* the job dumped its own core, if it was to: this process has none worth keeping */
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	return 128 + sig;
}

/* ---- signals around a restore ----
 * While the tree is built, a catchable signal stops the restore (it kills
 * and reaps what it started, exits 125 "interrupted by signal N").  Once the
 * tree runs, these are passed on to the restored root, as BLCR's cr_restart
 * did.  If the command that started us dies, a restore still building
 * stops; a job already running runs on, with this process still its
 * parent: a line on stderr and in syslog says so, and another says how the
 * job ended. */
static const int relayed_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile pid_t relay_to;          /* the restored root, once it runs */
static volatile sig_atomic_t root_in_our_group;   /* a terminal's signals to our group reach it too */
static pid_t starter;                    /* our parent when we started */
static volatile sig_atomic_t starter_died;

static void on_relayed_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!relay_to)
		cryo_restore_interrupt(sig);
	else if (si->si_code != SI_KERNEL || !root_in_our_group)   /* a terminal's signal reached the job's group itself */
		kill(relay_to, sig);
}

/* The parent-death signal comes when the thread that started us ends:
 * only a new parent means the starter itself is gone. */
static void on_parent_death(int sig)
{
	(void)sig;
	if (getppid() == starter)
		return;
	starter_died = 1;
	if (!relay_to)
		cryo_restore_interrupt(CRYO_INTERRUPT_PARENT_DIED);
}

static int catch_signals_for_restore(void)
{
	struct sigaction sa = { .sa_sigaction = on_relayed_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(relayed_signals) / sizeof(relayed_signals[0]); i++)
		sigaction(relayed_signals[i], &sa, NULL);
	struct sigaction pd = { .sa_handler = on_parent_death };     /* no SA_RESTART: the wait loop must see it */
	sigemptyset(&pd.sa_mask);
	sigaction(SIGRTMIN, &pd, NULL);
	starter = getppid();
	prctl(PR_SET_PDEATHSIG, SIGRTMIN);
	return getppid() == starter ? 0 : -1;    /* it died before the signal was armed */
}

/* Both on stderr (if anyone still reads it) and in syslog (LOG_USER). */
static void tell(const struct restore_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(const struct restore_request *r, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!r->quiet)
		fprintf(stderr, "%s: %s\n", r->prog, line);
	openlog("cryo", LOG_PID, LOG_USER);
	syslog(LOG_NOTICE, "%s", line);
}

/* ---- --run-on-* ---- */

/*
 * Which hook a failure runs, from the errno and resource the engine gives:
 * the context file itself missing or unreadable is the arguments' fault; a
 * PID or address in use, or a resource busy, may pass; a file the processes
 * had open that is missing or inaccessible is the environment's; anything
 * else (a corrupt file, another kernel, a state that cannot be rebuilt)
 * will never work.
 */
static enum restore_hook failure_kind(const struct cryo_error *e)
{
	int about_context_file = !strcmp(e->resource, "context file");
	switch (e->err) {
	case ENOENT: case EACCES: case EPERM: case ENOTDIR: case ELOOP: case EISDIR: case ENAMETOOLONG:
		return about_context_file ? HOOK_FAIL_ARGS : HOOK_FAIL_ENV;
	case EEXIST: case EBUSY: case EAGAIN: case EADDRINUSE: case ENOMEM: case EINTR: case ENOSPC: case EMFILE:
	case ENFILE:
		return HOOK_FAIL_TEMP;
	case ESTALE: case EROFS: case ENXIO: case ENODEV:
		return HOOK_FAIL_ENV;
	default:
		return HOOK_FAIL_PERM;
	}
}

/* BLCR: a hook runs by system(3); its non-zero status is cr_restart's, with
 * no message; a zero status (or no hook) leaves the message and status. */
static int run_hook(const struct restore_request *r, enum restore_hook kind)
{
	const char *cmd = r->hooks[kind];
	if (!cmd || !*cmd)
		return 0;
	fflush(stdout);
	fflush(stderr);
	int status = system(cmd);
	if (status == -1)
		return 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int failed(const struct restore_request *r, enum restore_hook kind, const char *msg)
{
	int hook = run_hook(r, kind);
	if (hook)
		return hook;
	if (!r->quiet)
		fprintf(stderr, "%s: %s\n", r->prog, msg);
	return CRYO_RESTORE_FAILED;
}

int restore_usage_failure(const struct restore_request *r, const char *msg)
{
	return failed(r, HOOK_FAIL_ARGS, msg);
}

/* ---- the restore and the wait ---- */

static void record_end(const struct restore_request *r, pid_t root, int status);

/* A process group or session may have come back as several roots: wait for
 * them all, and return how the first one ended. */
static int wait_for_status(const struct restore_request *r, const struct cryo_restored *rs)
{
	int status = 0, first = 0, told = 0;
	for (;;) {
		int st;
		if (starter_died && !told++)
			tell(r, "the command that started the restart (PID %d) died; the job restarted from %s (PID %d) "
			     "runs on, this process (PID %d) stays its parent", starter, r->o.path, rs->root, getpid());
		pid_t done = waitpid(-1, &st, 0);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			break;
		if (done == rs->parent) {
			status = st;
			first = 1;
		}
	}
	/* under Cryo's init, the init hands the job's own status over as it ends;
	 * an init that was killed (the job checkpointed with --kill) ends us the same way */
	int job_status;
	if (first && rs->status_fd >= 0 && read(rs->status_fd, &job_status, sizeof(job_status)) == sizeof(job_status))
		status = job_status;
	if (!first) {
		if (!r->quiet)
			fprintf(stderr, "%s: lost the restored process\n", r->prog);
		return CRYO_RESTORE_FAILED << 8;     /* as an exit status */
	}
	if (starter_died)
		record_end(r, rs->root, status);
	return status;
}

/* --detach's keeper: how the job ended, in syslog and in the status file. */
static void record_end(const struct restore_request *r, pid_t root, int status)
{
	if (WIFEXITED(status))
		tell(r, "the job restarted from %s (PID %d) ended with exit status %d", r->o.path, root,
		     WEXITSTATUS(status));
	else
		tell(r, "the job restarted from %s (PID %d) ended by signal %d", r->o.path, root, WTERMSIG(status));
	if (r->status_fd >= 0) {
		dprintf(r->status_fd, WIFEXITED(status) ? "exit %d\n" : "signal %d\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		fsync(r->status_fd);
	}
}

/* BLCR's --omit-*: a checkpoint that reaches this process finds the mark
 * (cryo_mark_omit), kept above 0-2, which --detach points at /dev/null.
 * Without it (no memfd) this process is checkpointed as any other. */
static void mark_omit(const struct restore_request *r)
{
	int fd = cryo_mark_omit(r->omit ? r->omit : CRYO_OMIT_MAYBE);
	if (fd >= 0 && fd < 3) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		fd = high;
	}
	if (fd < 0)
		tell(r, "cannot mark this process for --omit-* (memfd_create: %s): a checkpoint that reaches it "
		     "includes it", strerror(errno));
}

/* --detach: the keeper tells the front the job's PID by this signal (its
 * value), not through a descriptor: the restore rearranges the keeper's
 * descriptors for the job's pool, and what it starts inherits them. */
#define REPORT_SIGNAL (SIGRTMIN + 1)

static int restore_and_run(struct restore_request *r, pid_t front)
{
	struct cryo_error e = {0};
	if (catch_signals_for_restore())
		return failed(r, HOOK_FAIL_TEMP, "interrupted: the command that started the restart died");
	struct cryo_restored rs;
	if (cryo_restore(&r->o, &rs, &e)) {
		log_event(r->prog, 1, e.pid, r->o.path, "restart failed: %s", e.msg);
		return failed(r, failure_kind(&e), e.msg);
	}
	pid_t child = rs.root;
	mark_omit(r);
	log_event(r->prog, 0, child, r->o.path, "restart ok");
	root_in_our_group = getpgid(child) == getpgrp();
	relay_to = child;
	int late = cryo_restore_take_interrupt();        /* came while the tree was being let go */
	if (late > 0)
		kill(child, late);
	if ((r->o.verbose || front) && !r->quiet)
		fprintf(stderr, "%s: restored %s as PID %d\n", r->prog, r->o.path, child);
	int hook = run_hook(r, HOOK_SUCCESS);
	if (front) {
		/* the front returns now, by design: not a starter that died */
		prctl(PR_SET_PDEATHSIG, 0);
		sigqueue(front, REPORT_SIGNAL, (union sigval){ .sival_int = child });
		/* nothing of ours may hold the caller's pipes or terminal open: $(cr_restart --detach) returns */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup3(null, fd, 0);
		/* and the keeper is no member of the job's session: a batch system that tracks the job by
		 * its session (PBS) sees the job's processes only, the restored tree where it was put */
		setsid();
		r->quiet = 1;
		int status = wait_for_status(r, &rs);
		record_end(r, child, status);
		_exit(0);
	}
	if (hook)       /* BLCR: a success hook that fails ends cr_restart without waiting */
		return hook;
	return exit_like(wait_for_status(r, &rs));
}

/*
 * --detach: the restore runs in a keeper child, which stays the job's parent
 * (so its exit status is never lost to init) and logs how it ended; this
 * front prints the job's PID once it runs and returns 0, or returns the
 * keeper's failure status.
 */
static int detached_restore(struct restore_request *r)
{
	sigset_t wanted, old;
	sigemptyset(&wanted);
	sigaddset(&wanted, REPORT_SIGNAL);
	sigaddset(&wanted, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wanted, &old);
	fflush(stdout);
	fflush(stderr);
	pid_t front = getpid();
	pid_t keeper = fork();
	if (keeper < 0)
		return failed(r, HOOK_FAIL_TEMP, "cannot start the keeper (fork failed)");
	if (keeper == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(restore_and_run(r, front));
	}
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&wanted, &si) < 0)
			continue;
		if (si.si_signo == REPORT_SIGNAL && si.si_pid == keeper) {
			printf("%d\n", si.si_value.sival_int);
			return 0;
		}
		int status;
		if (si.si_signo == SIGCHLD && waitpid(keeper, &status, WNOHANG) == keeper)
			return WIFEXITED(status) ? WEXITSTATUS(status) : CRYO_RESTORE_FAILED;
	}
}

int restore_command(struct restore_request *r)
{
	return r->detach ? detached_restore(r) : restore_and_run(r, 0);
}
