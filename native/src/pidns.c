/*
 * cr_run --pid-ns: a job in a PID namespace of its own, so that its restart
 * never collides with PIDs on this node or another (the restart recreates
 * the namespace, restore.c).  The namespace's init is a small loop of ours:
 * it starts the command as PID 2, reaps orphans, passes signals on, and
 * ends with the command's status.
 *
 * And the namespace an unprivileged restart brings a job back in (pidns.h):
 * a user namespace of the caller's own, where clone3 may choose PIDs, and a
 * PID namespace it owns, whose PID 1 is Cryo's init (job_init).
 */
#include "cryo/cryo.h"
#include "error.h"
#include "pidns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

/* ---- the namespace of an unprivileged restart ---- */

enum { NS_START_ROOT = 1, NS_ROOTS_STARTED = 2, NS_COMMIT = 3 };

struct ns_request {
	int op;
	int k;                      /* NS_START_ROOT: the root's index in the tree */
	pid_t want;                 /* and its PID inside the namespace */
};

struct ns_reply {
	int err;                    /* errno, 0 on success */
	pid_t pid;                  /* the new root, as the init sees it */
	char msg[sizeof(((struct cryo_error *)0)->msg)];
};

int may_choose_pids(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {{0}};
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
	return (eff >> CAP_CHECKPOINT_RESTORE & 1) || (eff >> CAP_SYS_ADMIN & 1);
}

static int write_proc_file(pid_t pid, const char *name, const char *text, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cryo_fail_errno(e, pid, "user namespace", "open", "cannot open %s", path);
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	if (n != (ssize_t)strlen(text))
		return cryo_fail(e, pid, "user namespace", "write", n < 0 ? err : EIO, "cannot write %s", path);
	return 0;
}

int userns_map_own_ids(pid_t pid, struct cryo_error *e)
{
	char uid_map[64], gid_map[64];
	snprintf(uid_map, sizeof(uid_map), "%u %u 1\n", geteuid(), geteuid());
	snprintf(gid_map, sizeof(gid_map), "%u %u 1\n", getegid(), getegid());
	return write_proc_file(pid, "setgroups", "deny", e) || write_proc_file(pid, "uid_map", uid_map, e) ||
	       write_proc_file(pid, "gid_map", gid_map, e) ? -1 : 0;
}

/* In the init: a root by clone3 with the PID it had; the root readies
 * itself (start_root) and closes its end of the pipe, or writes why not. */
static pid_t start_one_root(const struct ns_request *q, root_starter start_root, void *arg, int sock,
			    struct ns_reply *a)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		a->err = errno;
		snprintf(a->msg, sizeof(a->msg), "cannot create a pipe in the job's namespace: %s", strerror(errno));
		return -1;
	}
	pid_t tid = q->want;
	struct clone_args args = { .exit_signal = SIGCHLD };
	if (q->want) {
		args.set_tid = (uint64_t)(uintptr_t)&tid;
		args.set_tid_size = 1;
	}
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0) {
		close(ready[0]);
		close(sock);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		start_root(q->k, ready[1], arg);
		_exit(CRYO_RESTORE_FAILED);
	}
	int err = errno;
	close(ready[1]);
	if (r < 0) {
		close(ready[0]);
		a->err = err;
		snprintf(a->msg, sizeof(a->msg), "cannot create process %d in the job's namespace (clone3): %s",
			 q->want, strerror(err));
		return -1;
	}
	ssize_t n = read(ready[0], a->msg, sizeof(a->msg) - 1);
	close(ready[0]);
	if (n > 0) {
		a->msg[n] = 0;
		a->err = EINVAL;
		waitpid((pid_t)r, NULL, 0);
		return -1;
	}
	return (pid_t)r;
}

/* Descriptors the roots inherited (the pipe pool, the context file) must
 * not stay open in the init: a pipe of the job would never see its end. */
static void drop_inherited_files(int sock)
{
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	syscall(SYS_close_range, 3, sock - 1, 0);
	syscall(SYS_close_range, sock + 1, ~0U, 0);
}

static volatile pid_t job_root;

static void pass_on_to_job(int sig)
{
	if (job_root > 0)
		kill(job_root, sig);
}

/* PID 1 of the job's namespace: passes signals on to the first root (an
 * init gets only those it has handlers for), reaps every process that ends
 * there and ends when none is left, handing the first root's wait status
 * over on sock, and exiting with it as cr_run --pid-ns's init does (what a
 * restart of a checkpoint of this init sees: sock is then unconnected). */
static void reap_job(pid_t first, int sock)
{
	static const int passed[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	sigset_t unblock;
	sigemptyset(&unblock);
	job_root = first;
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
		signal(passed[i], pass_on_to_job);
		sigaddset(&unblock, passed[i]);
	}
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	int first_status = 0;
	for (;;) {
		int status;
		pid_t done = waitpid(-1, &status, __WALL);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			break;
		if (done == first)
			first_status = status;
	}
	ssize_t ignored = send(sock, &first_status, sizeof(first_status), MSG_NOSIGNAL);
	(void)ignored;
	_exit(WIFEXITED(first_status) ? WEXITSTATUS(first_status) : 128 + WTERMSIG(first_status));
}

/* Runs in the new namespace; never returns.  The caller's end of sock
 * closing (the caller died) before the commit ends the namespace. */
static void job_init(int sock, root_starter start_root, void *arg)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	pid_t first = 0;
	for (;;) {
		struct ns_request q;
		struct ns_reply a = {0};
		if (recv(sock, &q, sizeof(q), 0) != sizeof(q))
			_exit(CRYO_RESTORE_FAILED);
		if (q.op == NS_START_ROOT) {
			a.pid = start_one_root(&q, start_root, arg, sock, &a);
			if (!first && a.pid > 0)
				first = a.pid;
		} else if (q.op == NS_ROOTS_STARTED) {
			drop_inherited_files(sock);
		} else if (q.op == NS_COMMIT) {
			prctl(PR_SET_PDEATHSIG, 0);
		}
		if (send(sock, &a, sizeof(a), MSG_NOSIGNAL) != sizeof(a))
			_exit(CRYO_RESTORE_FAILED);
		if (q.op == NS_COMMIT)
			reap_job(first, sock);
	}
}

int job_ns_start(struct job_ns *ns, root_starter start_root, void *arg, struct cryo_error *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cryo_fail_errno(e, 0, "user namespace", "socketpair", "cannot create a socket pair");
	struct clone_args args = { .flags = CLONE_NEWUSER | CLONE_NEWPID, .exit_signal = SIGCHLD };
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		job_init(sv[1], start_root, arg);
	}
	int err = errno;
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return cryo_fail(e, 0, "user namespace", "clone3(CLONE_NEWUSER|CLONE_NEWPID)", err,
				 "cannot create a user and PID namespace for the job");
	}
	ns->init = (pid_t)r;
	ns->sock = sv[0];
	if (userns_map_own_ids(ns->init, e)) {
		job_ns_kill(ns);
		waitpid(ns->init, NULL, 0);
		ns->init = 0;
		return -1;
	}
	return 0;
}

static int ask_init(struct job_ns *ns, const struct ns_request *q, struct ns_reply *a, struct cryo_error *e)
{
	if (send(ns->sock, q, sizeof(*q), MSG_NOSIGNAL) != sizeof(*q) || recv(ns->sock, a, sizeof(*a), 0) != sizeof(*a))
		return cryo_fail_errno(e, ns->init, "user namespace", "send/recv", "lost the job namespace's init %d", ns->init);
	if (a->err)
		return cryo_fail(e, ns->init, "process", "clone3", a->err, "%s", a->msg);
	return 0;
}

/* The PID outside of the init's child whose PID inside is inner. */
static pid_t outside_pid(pid_t init, pid_t inner)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", init, init);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	pid_t found = 0, p;
	while (!found && fscanf(f, "%d", &p) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/status", p);
		FILE *st = fopen(path, "re");
		while (st && fgets(line, sizeof(line), st)) {
			if (strncmp(line, "NSpid:", 6))
				continue;
			char *last = strrchr(line, '\t');
			if (last && atoi(last + 1) == inner)
				found = p;
		}
		if (st)
			fclose(st);
	}
	fclose(f);
	return found;
}

int job_ns_start_root(struct job_ns *ns, int k, pid_t want, pid_t *pid, struct cryo_error *e)
{
	struct ns_request q = { .op = NS_START_ROOT, .k = k, .want = want };
	struct ns_reply a;
	if (ask_init(ns, &q, &a, e))
		return -1;
	*pid = outside_pid(ns->init, a.pid);
	if (!*pid)
		return cryo_fail(e, ns->init, "process", "", ESRCH, "cannot find process %d of the job's namespace", a.pid);
	return 0;
}

int job_ns_roots_started(struct job_ns *ns, struct cryo_error *e)
{
	struct ns_request q = { .op = NS_ROOTS_STARTED };
	struct ns_reply a;
	return ask_init(ns, &q, &a, e);
}

int job_ns_commit(struct job_ns *ns, struct cryo_error *e)
{
	struct ns_request q = { .op = NS_COMMIT };
	struct ns_reply a;
	return ask_init(ns, &q, &a, e);
}

void job_ns_kill(struct job_ns *ns)
{
	if (ns->init > 0)
		kill(ns->init, SIGKILL);
}
