/* cryo_restore and cryo_verify_file: the order of restore. */
#include "cryo/cryo.h"
#include "chain.h"
#include "error.h"
#include "eventfds.h"
#include "files.h"
#include "locks.h"
#include "image.h"
#include "inject.h"
#include "memory.h"
#include "proc.h"
#include "pidns.h"
#include "pipes.h"
#include "process.h"
#include "resources.h"
#include "rexec.h"
#include "sessions.h"
#include "signals.h"
#include "sockets.h"
#include "sysv.h"
#include "snapshot.h"
#include "pagestream.h"
#include "threads.h"
#include "fdowners.h"
#include "pathfds.h"
#include "seccomp.h"
#include "timers.h"
#include "ttys.h"
#include "tracer.h"
#include "lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RSEQ_SIG 0x53053053    /* glibc's signature on x86 */

/* Every process being built is killed if the tracer dies (EXITKILL), so a
 * half-built process never runs an instruction of its own; new threads and
 * forked children inherit these options. */
#define BUILD_PTRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)

/* ---- interruption: a catchable signal to the restorer while it builds ---- */

static volatile sig_atomic_t interrupted_by;

void cryo_restore_interrupt(int sig)
{
	interrupted_by = sig;
}

int cryo_restore_take_interrupt(void)
{
	int sig = interrupted_by;
	interrupted_by = 0;
	return sig;
}

int restore_check_interrupted(struct cryo_error *e)
{
	int sig = interrupted_by;
	if (!sig)
		return 0;
	if (sig == CRYO_INTERRUPT_PARENT_DIED)
		return cryo_fail(e, 0, "restore", "", 0, "interrupted: the command that started the restart died");
	return cryo_fail(e, 0, "restore", "", 0, "interrupted by signal %d", sig);
}

int cryo_verify_file(const char *path, struct cryo_error *e)
{
	struct image_reader r;
	struct tree t;
	if (ir_open(&r, path, e))
		return -1;
	int rc = ir_verify_sections(&r, 1, e);
	if (!rc && !(rc = tree_read(&r, &t, e))) {
		for (int k = 0; k < t.nr && !rc; k++)    /* compressed blocks: each its own checksum and size */
			if (t.procs[k].pages)
				rc = ps_verify_blocks(&r, t.procs[k].pages, e);
		tree_free(&t);
	}
	/* an incremental file is whole only with its parents */
	struct chain *c;
	if (!rc && chain_is_incremental(&r) && !(rc = chain_open(&c, path, 1, e)))
		chain_close(c);
	ir_close(&r);
	return rc;
}

/* ---- relocation (--relocate OLD=NEW), on whole path components ---- */

static const struct cryo_relocation *relocations;
static int nr_relocations;

static const char *relocate(const char *path, char *buf, size_t size)
{
	for (int i = 0; i < nr_relocations; i++) {
		size_t n = strlen(relocations[i].from);
		if (!strncmp(path, relocations[i].from, n) && (path[n] == '/' || path[n] == 0)) {
			snprintf(buf, size, "%s%s", relocations[i].to, path + n);
			return buf;
		}
	}
	return path;
}

/* ---- sessions and process groups (--restore-sid, --restore-pgid) ---- */

static struct sessions_opts session_opts;

/* ---- credentials: root restarting another user's file runs it as that user ---- */

/* Set by cryo_restore: the roots take their recorded ids (root caller, no --as-caller). */
static int as_recorded_user;

/* Whether some process's groups came from the user database, for the message. */
static int groups_from_user_database;

/* A file that recorded no supplementary groups (an older one): the recorded
 * user's from the user database, looked up here, before any fork (a child
 * of a process with threads must not call into NSS). */
static void look_up_missing_groups(struct tree *t)
{
	for (int k = 0; k < t->nr; k++) {
		struct snapshot *s = &t->procs[k];
		if (s->nr_groups >= 0)
			continue;
		gid_t groups[CRYO_MAX_GROUPS];
		struct passwd *pw = getpwuid(s->proc.uid[0]);
		int n = CRYO_MAX_GROUPS;
		if (!pw || getgrouplist(pw->pw_name, s->proc.gid[0], groups, &n) < 0) {
			groups[0] = s->proc.gid[0];
			n = 1;
		}
		for (int i = 0; i < n; i++)
			s->groups[i] = groups[i];
		s->nr_groups = n;
		groups_from_user_database = 1;
	}
}

static int groups_for(const struct snapshot *s, gid_t *groups, int max)
{
	int n = s->nr_groups < max ? s->nr_groups : max;
	for (int i = 0; i < n; i++)
		groups[i] = s->groups[i];
	return n;
}

/* In a root, before it opens anything: the recorded groups and gids, and
 * file access as the recorded user (fsuid: root's file capabilities go).
 * The real, effective and saved uid stay root's until the process has made
 * its threads and children (clone3 choosing PIDs needs the capability);
 * finish_credentials sets them. */
static int become_recorded_user_for_files(const struct snapshot *s, struct cryo_error *e)
{
	gid_t groups[CRYO_MAX_GROUPS];
	int n = groups_for(s, groups, CRYO_MAX_GROUPS);
	if (syscall(SYS_setgroups, n, groups) < 0)
		return cryo_fail_errno(e, getpid(), "credentials", "setgroups", "cannot take the recorded supplementary groups");
	if (syscall(SYS_setresgid, s->proc.gid[0], s->proc.gid[1], s->proc.gid[2]) < 0)
		return cryo_fail_errno(e, getpid(), "credentials", "setresgid", "cannot take the recorded gids %u/%u/%u",
				       s->proc.gid[0], s->proc.gid[1], s->proc.gid[2]);
	syscall(SYS_setfsuid, s->proc.uid[1]);
	if ((uid_t)syscall(SYS_setfsuid, -1) != s->proc.uid[1])
		return cryo_fail(e, getpid(), "credentials", "setfsuid", EPERM, "cannot take the recorded uid %u for files",
				 s->proc.uid[1]);
	return 0;
}

/* System V objects belong to whoever creates them: the recorded user's
 * job must own its own, so root creates them as that user. */
static int create_sysv_objects(const struct tree *t, struct cryo_error *e)
{
	const struct cryo_process *p = &t->procs[0].proc;
	if (!as_recorded_user)
		return resources_create(t, e);
	int rc;
	if (setegid(p->gid[1]) < 0 || seteuid(p->uid[1]) < 0)
		rc = cryo_fail_errno(e, 0, "credentials", "seteuid", "cannot act as the recorded uid %u", p->uid[1]);
	else
		rc = resources_create(t, e);
	if (seteuid(0) < 0 || setegid(0) < 0)
		return cryo_fail_errno(e, 0, "credentials", "seteuid", "cannot act as root again");
	return rc;
}

/* One line naming the credentials the job restarts with, when they are
 * not the caller's (or verbose). */
static void say_credentials(const struct tree *t, int as_caller, int in_userns, int verbose)
{
	const struct snapshot *s = &t->procs[0];
	uid_t me = geteuid();
	if (as_recorded_user) {
		gid_t groups[CRYO_MAX_GROUPS];
		int n = groups_for(s, groups, CRYO_MAX_GROUPS);
		char list[512] = "";
		for (int i = 0, at = 0; i < n && at < (int)sizeof(list) - 12; i++)
			at += snprintf(list + at, sizeof(list) - (size_t)at, "%s%u", i ? "," : "", groups[i]);
		fprintf(stderr, "cryo-engine restore: restarting as the recorded user: uid %u gid %u groups %s%s (--as-caller keeps root's)\n",
			s->proc.uid[1], s->proc.gid[1], n ? list : "none", groups_from_user_database ? " (from the user database)" : "");
	} else if (s->proc.uid[1] != me) {
		fprintf(stderr, "cryo-engine restore: restarting with your own credentials (uid %u gid %u), not the recorded uid %u%s\n",
			me, getegid(), s->proc.uid[1], as_caller ? " (--as-caller)" : "");
	} else if (verbose) {
		fprintf(stderr, "cryo-engine restore: restarting with your own credentials (uid %u gid %u)%s\n", me, getegid(),
			in_userns ? " in a user namespace of the job's own" : "");
	}
}

/* ---- the child: what it does to itself before it is taken over ---- */

extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

/* glibc registered an rseq area for this thread in memory that is about to
 * be unmapped; the kernel would write to it on the next preemption. */
static int unregister_own_rseq(struct cryo_error *e)
{
	if (!&__rseq_size || !__rseq_size)
		return 0;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0 && errno != EINVAL)
		return cryo_fail_errno(e, getpid(), "rseq", "rseq", "cannot unregister the restorer's rseq area");
	return 0;
}

static void report_and_exit(int status_fd, const struct cryo_error *e)
{
	ssize_t ignored = write(status_fd, e->msg, strlen(e->msg));
	(void)ignored;
	_exit(CRYO_RESTORE_FAILED);
}

/* Runs in the new process; never returns. */
static void become_restorable(const struct tree *t, const struct snapshot *s, int status_fd)
{
	struct cryo_error e = {0};
	struct rexec self;
	sigset_t all;
	char buf[PATH_MAX];

	rexec_self(&self);

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (sessions_restore_leader(&self, t, s, &session_opts, &e))
		report_and_exit(status_fd, &e);
	if (process_restore_own_loginuid(s, &e))
		report_and_exit(status_fd, &e);
	if (as_recorded_user && become_recorded_user_for_files(s, &e))
		report_and_exit(status_fd, &e);
	if (process_restore(&self, s, relocate(s->cwd, buf, sizeof(buf)), &e))
		report_and_exit(status_fd, &e);
	if (files_restore(&self, t, s, relocate, &status_fd, &e))
		report_and_exit(status_fd, &e);
	if (signals_restore_actions(&self, s, &e) || unregister_own_rseq(&e))
		report_and_exit(status_fd, &e);
	close(status_fd);          /* EOF tells the restorer we are ready */
	for (;;)
		pause();           /* every signal is blocked: only ptrace ends this */
}

/* The id a clone3 asked for is held by another process: only the user can
 * free it, so the error names that process. */
static int fail_id_taken(struct cryo_error *e, const char *resource, const char *id_name, pid_t want)
{
	char who[96];
	proc_describe(want, who, sizeof(who));
	return cryo_fail(e, want, resource, "clone3", EEXIST,
			 "%s %d is taken by %s: end it, or restart with --no-restore-pid", id_name, want, who);
}

/* new_pid_namespace: 1 a PID namespace, 2 a user and a PID namespace */
static pid_t clone_with_pid(pid_t want, int new_pid_namespace, struct cryo_error *e)
{
	struct clone_args args = { .exit_signal = SIGCHLD,
				   .flags = new_pid_namespace ? CLONE_NEWPID | (new_pid_namespace > 1 ? CLONE_NEWUSER : 0) : 0 };
	pid_t tid = want;
	if (want) {
		args.set_tid = (uint64_t)&tid;
		args.set_tid_size = 1;
	}
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0)
		return (pid_t)r;
	if (errno == EEXIST)
		return fail_id_taken(e, "process", "PID", want);
	if (new_pid_namespace && errno == EPERM)
		return cryo_fail_errno(e, 0, "process", "clone3(CLONE_NEWPID)",
				       "cannot create the job's PID namespace again (needs root or CAP_SYS_ADMIN)");
	if (want && (errno == EPERM || errno == EINVAL))
		return cryo_fail_errno(e, want, "process", "clone3",
				       "cannot restore PID %d (needs root or CAP_CHECKPOINT_RESTORE): restart with --no-restore-pid", want);
	return cryo_fail_errno(e, want, "process", "clone3", "cannot create the process to restore");
}

/* A new root dies with the restorer (SIGKILL as parent-death signal) until
 * the tree is complete; the restorer's go (a byte on the pipe, after a new
 * user namespace got its ids) also tells it the restorer was still alive
 * once that signal was armed. */
static void wait_for_go(int go_fd)
{
	char go;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &go, 1) != 1)
		_exit(CRYO_RESTORE_FAILED);
	close(go_fd);
}

/* A root, stopped, taken over for building. */
static int seize_for_build(pid_t pid, struct cryo_error *e)
{
	if (tracer_seize(pid, e))
		return -1;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, BUILD_PTRACE_OPTIONS) < 0)
		return cryo_fail_errno(e, pid, "process", "ptrace(PTRACE_SETOPTIONS)", "cannot trace process %d", pid);
	return 0;
}

/* Fork a root of the tree, let it set itself up, and take it over stopped.
 * in_userns: the root is the init of a PID namespace of the job's own, in a
 * user namespace of the caller's own. */
static pid_t start_child(const struct tree *t, const struct snapshot *s, int restore_pid, int in_userns,
			 struct cryo_error *e)
{
	int pipefd[2], go[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cryo_fail_errno(e, 0, "process", "pipe2", "cannot create a pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return cryo_fail_errno(e, 0, "process", "pipe2", "cannot create a pipe");
	}
	/* the init of a new PID namespace is its PID 1 by birth */
	int new_ns = s->proc.ns_depth == 1 ? 1 + in_userns : 0;
	pid_t pid = clone_with_pid(restore_pid && !new_ns ? s->proc.pid : 0, new_ns, e);
	if (pid == 0) {
		close(pipefd[0]);
		close(go[1]);
		wait_for_go(go[0]);
		become_restorable(t, s, pipefd[1]);
	}
	close(pipefd[1]);
	close(go[0]);
	if (pid > 0 && new_ns > 1 && userns_map_own_ids(pid, e)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	if (pid > 0 && write(go[1], "g", 1) != 1) {
		cryo_fail_errno(e, pid, "process", "write", "cannot start process %d", pid);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(go[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	char msg[sizeof(e->msg)];
	ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (n > 0) {
		msg[n] = 0;
		waitpid(pid, NULL, 0);
		return cryo_fail(e, pid, "process", "", 0, "%s", msg);
	}
	if (seize_for_build(pid, e)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* CRYO_TIMING=1 in the environment: where a restore spends its time, on stderr */
static void phase(const char *name)
{
	static struct timespec last;
	static int on = -1;
	struct timespec now;
	if (on < 0)
		on = getenv("CRYO_TIMING") != NULL;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec)
		fprintf(stderr, "cryo: %-24s %8.3f ms\n", name,
			(now.tv_sec - last.tv_sec) * 1e3 + (now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

/* An injected clone3 in the process behind in, asking for the id want when it
 * is non-zero (set_tid, through the scratch page).  *r gets the raw result;
 * an id another process holds is an error. */
static int inject_clone3(struct injector *in, uint64_t scratch, struct clone_args *args, pid_t want,
			 const char *resource, const char *id_name, long *r, struct cryo_error *e)
{
	uint64_t args_at = scratch + 1024, tid_at = scratch + 2048;
	if (want) {
		args->set_tid = tid_at;
		args->set_tid_size = 1;
		if (memory_poke(in->pid, tid_at, &want, sizeof(want), e))
			return -1;
	}
	if (memory_poke(in->pid, args_at, args, sizeof(*args), e) ||
	    injector_syscall(in, SYS_clone3, (long)args_at, sizeof(*args), 0, 0, 0, 0, r, e))
		return -1;
	return *r == -EEXIST ? fail_id_taken(e, resource, id_name, want) : 0;
}

/* A new thread of the process behind in (its leader), by an injected clone3,
 * with the thread id the image had when want is non-zero.  It is born
 * traced (PTRACE_O_TRACECLONE) and stopped before its first instruction. */
static int spawn_thread(struct injector *in, uint64_t scratch, pid_t want, pid_t *tid, struct cryo_error *e)
{
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
	};
	long r;
	if (inject_clone3(in, scratch, &args, want, "threads", "thread id", &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "threads", "clone3", (int)-r, "cannot create thread %d of process %d", want, in->pid);
	int status;
	*tid = in->last_child ? in->last_child : (pid_t)r;
	return tracer_wait(*tid, &status, e);
}

/* One process being rebuilt: its threads, live thread i = the image's thread i. */
struct rebuild {
	pid_t pid;
	int nr;
	pid_t *tids;
	struct injector *in;
	uint64_t scratch;
};

/* The whole tree: rebuild k is the image's process k. */
struct restore {
	const struct tree *t;
	struct image_reader *r;
	int restore_pid;
	int in_userns;              /* PIDs restored in a user and PID namespace of the caller's own */
	int registers_last;         /* groups to join once the tree exists: every thread's registers after that */
	struct job_ns ns;           /* its init, when the image has none of its own */
	struct rebuild *b;
	int after_signal;           /* cryo_restore_opts.after_signal */
	struct lazy *lazy;          /* --lazy: the page server */
};

static int rebuild_threads(struct rebuild *b, const struct snapshot *s, int restore_pid, struct cryo_error *e)
{
	for (int i = 1; i < b->nr; i++) {
		if (restore_check_interrupted(e))
			return -1;
		pid_t want = s->proc.ns_depth ? s->threads[i].r.ns_tid : restore_pid ? s->threads[i].r.tid : 0;
		if (spawn_thread(&b->in[0], b->scratch, want, &b->tids[i], e))
			return -1;
		if (injector_prepare_thread(&b->in[i], &b->in[0], b->tids[i], e))
			return -1;
	}
	int unplaceable = 0;
	for (int i = 0; i < b->nr; i++)
		if (threads_restore_kernel_links(&b->in[i], b->scratch, &s->threads[i], e) ||
		    threads_restore_affinity(&b->in[i], b->scratch, &s->threads[i], &unplaceable, e))
			return -1;
	if (unplaceable)
		fprintf(stderr, "cryo-engine restore: warning: process %d had threads pinned to CPUs this node does not "
			"offer; they run on any CPU of the restart's\n", b->pid);
	return 0;
}

static int index_of(const struct restore *R, const struct snapshot *s)
{
	return (int)(s - R->t->procs);
}

/* A child of process k, by an injected fork (clone3 with the PID it had),
 * caught at birth with PTRACE_O_TRACEFORK. */
static int fork_child(struct restore *R, int k, const struct snapshot *child, pid_t *pid, struct cryo_error *e)
{
	struct rebuild *p = &R->b[k];
	struct clone_args args = { .exit_signal = SIGCHLD };
	/* in the job's own PID namespace, its PIDs are always free: they come back */
	pid_t want = child->proc.ns_depth ? child->proc.ns_pid : R->restore_pid ? child->proc.pid : 0;
	long r;
	int status;
	if (ptrace(PTRACE_SETOPTIONS, p->pid, 0, BUILD_PTRACE_OPTIONS | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK) < 0)
		return cryo_fail_errno(e, p->pid, "process", "ptrace(PTRACE_SETOPTIONS)", "cannot follow the children of %d", p->pid);
	if (inject_clone3(&p->in[0], p->scratch, &args, want, "process", "PID", &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, p->pid, "process", "clone3", (int)-r, "process %d cannot fork its child %d", p->pid, want);
	*pid = p->in[0].last_child ? p->in[0].last_child : (pid_t)r;
	return tracer_wait(*pid, &status, e);
}

/* A zombie: born, then ended with the status it had, for its parent to reap. */
static int make_zombie(struct restore *R, int k, const struct snapshot *s, struct cryo_error *e)
{
	struct rebuild *b = &R->b[k];
	struct injector in;
	int status = s->proc.exit_code, sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	long ignored;
	struct rexec x;
	if (injector_prepare(&in, b->pid, 0, e))
		return -1;
	rexec_injected(&x, &in, 0);          /* (no pointer arguments) */
	if (sessions_restore_leader(&x, R->t, s, &session_opts, e))
		return -1;
	if (sig) {
		/* the default action, then the signal delivered as if it had come */
		struct cryo_sigaction dfl = {0};
		if (memory_poke(b->pid, R->b[index_of(R, tree_find(R->t, s->proc.ppid))].scratch, &dfl, sizeof(dfl), e) ||
		    injector_syscall(&in, SYS_rt_sigaction, sig, (long)R->b[index_of(R, tree_find(R->t, s->proc.ppid))].scratch,
				     0, 8, 0, 0, &ignored, e) ||
		    tracer_set_sigmask(b->pid, 0, e))
			return -1;
		if (ptrace(PTRACE_CONT, b->pid, 0, sig) < 0)
			return cryo_fail_errno(e, b->pid, "process", "ptrace(PTRACE_CONT)", "cannot end zombie %d", b->pid);
	} else {
		struct user_regs_struct regs = in.saved;
		regs.rax = SYS_exit_group;
		regs.orig_rax = (unsigned long long)-1;
		regs.rdi = (unsigned long)WEXITSTATUS(status);
		regs.rip = in.syscall_ip;
		if (tracer_set_regs(b->pid, &regs, e))
			return -1;
		if (ptrace(PTRACE_CONT, b->pid, 0, 0) < 0)
			return cryo_fail_errno(e, b->pid, "process", "ptrace(PTRACE_CONT)", "cannot end zombie %d", b->pid);
	}
	/* the tracer sees the exit first; the parent gets its zombie after */
	for (;;) {
		if (waitpid(b->pid, &status, __WALL) < 0)
			return cryo_fail_errno(e, b->pid, "process", "waitpid", "lost zombie %d", b->pid);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		ptrace(PTRACE_CONT, b->pid, 0, WIFSTOPPED(status) && (status >> 16) == 0 ? WSTOPSIG(status) : 0);
	}
	b->nr = 0;          /* nothing left to detach */
	return 0;
}

/* Session and process group, when it led one; joining a group led by
 * another waits until the whole tree exists (join_groups). */
static int restore_session(struct restore *R, int k, const struct snapshot *s, struct cryo_error *e)
{
	struct rexec x;
	rexec_injected(&x, &R->b[k].in[0], 0);   /* (no pointer arguments) */
	return sessions_restore_leader(&x, R->t, s, &session_opts, e);
}

/* A forked child starts as a copy of its parent: make it itself, all but memory. */
static int become_child(struct restore *R, int k, const struct snapshot *s, struct cryo_error *e)
{
	const struct snapshot *parent = tree_find(R->t, s->proc.ppid);
	uint64_t scratch = R->b[index_of(R, parent)].scratch;   /* inherited from the parent */
	struct injector *in = &R->b[k].in[0];
	const struct cryo_thread *pt = &parent->threads[0].r;    /* the thread that forked it */
	char buf[PATH_MAX];
	struct rexec x;
	long r;
	rexec_injected(&x, in, scratch);
	/* its parent's rseq registration came along and is about to be unmapped */
	if (pt->rseq_addr && injector_syscall(in, SYS_rseq, (long)pt->rseq_addr, pt->rseq_len, RSEQ_FLAG_UNREGISTER,
					      pt->rseq_sig, 0, 0, &r, e))
		return -1;
	return process_restore(&x, s, relocate(s->cwd, buf, sizeof(buf)), e) ||
	       signals_restore_actions(&x, s, e) ||
	       files_restore(&x, R->t, s, relocate, NULL, e) ||
	       restore_session(R, k, s, e) ? -1 : 0;
}

static int rebuild_process(struct restore *R, int k, struct cryo_error *e);

/* In a user namespace of its own the job was born with every capability
 * there (clone3 needed them to choose its PIDs): once the process has made
 * its threads and children, each of its threads gives them up. */
static int drop_namespace_capabilities(struct restore *R, int k, struct cryo_error *e)
{
	struct rebuild *b = &R->b[k];
	struct { struct __user_cap_header_struct h; struct __user_cap_data_struct d[2]; } caps = {
		.h = { .version = _LINUX_CAPABILITY_VERSION_3 },
	};
	if (memory_poke(b->pid, b->scratch, &caps, sizeof(caps), e))
		return -1;
	for (int i = 0; i < b->nr; i++)
		if (injector_call(&b->in[i], "credentials", "capset", "drop the capabilities of", SYS_capset,
				  (long)b->scratch, (long)(b->scratch + sizeof(caps.h)), 0, 0, 0, 0, NULL, e))
			return -1;
	return 0;
}

/* A root armed SIGKILL as its parent-death signal at birth; every process
 * gets the value it had (Linux clears it on fork and on a change of
 * credentials: this comes after both). */
static int restore_parent_death_signal(struct restore *R, int k, struct cryo_error *e)
{
	int sig = process_recorded_pdeathsig(&R->t->procs[k]);
	if (!sig && !tree_is_root(R->t, &R->t->procs[k]))
		return 0;
	return injector_call(&R->b[k].in[0], "process", "prctl(PR_SET_PDEATHSIG)", "restore the parent-death signal of",
			     SYS_prctl, PR_SET_PDEATHSIG, sig, 0, 0, 0, 0, NULL, e);
}

/* Every thread takes the recorded uids (its capabilities go with root's
 * uid); a change of credentials makes a process non-dumpable, which the
 * recorded process was not. */
static int take_recorded_uids(struct restore *R, int k, struct cryo_error *e)
{
	const struct snapshot *s = &R->t->procs[k];
	struct rebuild *b = &R->b[k];
	for (int i = 0; i < b->nr; i++)
		if (injector_call(&b->in[i], "credentials", "setresuid", "set the recorded uids of", SYS_setresuid,
				  s->proc.uid[0], s->proc.uid[1], s->proc.uid[2], 0, 0, 0, NULL, e))
			return -1;
	return injector_call(&b->in[0], "credentials", "prctl(PR_SET_DUMPABLE)", "make dumpable again", SYS_prctl,
			     PR_SET_DUMPABLE, 1, 0, 0, 0, 0, NULL, e);
}

/* The process's credentials as they must end, its last clone3 made. */
static int finish_credentials(struct restore *R, int k, struct cryo_error *e)
{
	return process_restore_bounding(R->b[k].in, R->b[k].nr, &R->t->procs[k], e) ||
	       (R->in_userns && drop_namespace_capabilities(R, k, e)) || (as_recorded_user && take_recorded_uids(R, k, e)) ? -1 : 0;
}

static int rebuild_children(struct restore *R, int k, struct cryo_error *e)
{
	const struct snapshot *s = &R->t->procs[k];
	for (int c = k + 1; c < R->t->nr; c++) {
		const struct snapshot *child = &R->t->procs[c];
		if (child->proc.ppid != s->proc.pid)
			continue;
		if (fork_child(R, k, child, &R->b[c].pid, e))
			return -1;
		if (child->proc.state == CRYO_PROCESS_ZOMBIE ? make_zombie(R, c, child, e) : rebuild_process(R, c, e))
			return -1;
	}
	return 0;
}

/* Descriptors that need the address space back (event descriptors, sockets, locks). */
static int restore_after_memory(struct rebuild *b, const struct tree *t, const struct snapshot *s, struct cryo_error *e)
{
	struct rexec x;
	rexec_injected(&x, &b->in[0], b->scratch);
	return ttys_restore_terminal(&x, t, s, pipes_pool_base(t), e) || files_restore_after_memory(&x, t, s, relocate, e);
}

/* Its children made, a process no longer needs the pool. */
static int close_own_pool(struct rebuild *b, const struct tree *t, struct cryo_error *e)
{
	struct rexec x;
	rexec_injected(&x, &b->in[0], b->scratch);
	return files_close_pool(&x, t, e);
}

/* A process with children in the tree gets its memory eagerly: forking
 * copies its page tables, and a page not yet served would be missing. */
static struct lazy *lazy_for(const struct restore *R, const struct snapshot *s)
{
	for (int c = 0; R->lazy && c < R->t->nr; c++)
		if (R->t->procs[c].proc.ppid == s->proc.pid && &R->t->procs[c] != s)
			return NULL;
	return s->proc.state == CRYO_PROCESS_ZOMBIE ? NULL : R->lazy;
}

static int rebuild_process(struct restore *R, int k, struct cryo_error *e)
{
	const struct snapshot *s = &R->t->procs[k];
	struct rebuild *b = &R->b[k];
	b->nr = (int)s->proc.nr_threads;
	b->tids = calloc((size_t)b->nr, sizeof(*b->tids));
	b->in = calloc((size_t)b->nr, sizeof(*b->in));
	if (!b->tids || !b->in)
		return cryo_fail(e, b->pid, "threads", "malloc", ENOMEM, "out of memory");
	b->tids[0] = b->pid;
	if (restore_check_interrupted(e) || injector_prepare(&b->in[0], b->pid, 0, e))
		return -1;
	if (!tree_is_root(R->t, s) && become_child(R, k, s, e))
		return -1;
	if (memory_restore(&b->in[0], R->t, s, R->r, relocate, lazy_for(R, s), &b->scratch, e) ||
	    restore_after_memory(b, R->t, s, e))
		return -1;
	phase("memory");
	if (restore_check_interrupted(e))
		return -1;
	if (ptrace(PTRACE_SETOPTIONS, b->pid, 0, BUILD_PTRACE_OPTIONS | PTRACE_O_TRACECLONE) < 0)
		return cryo_fail_errno(e, b->pid, "threads", "ptrace(PTRACE_SETOPTIONS)", "cannot follow new threads");
	if (rebuild_threads(b, s, R->restore_pid, e) || rebuild_children(R, k, e) ||
	    finish_credentials(R, k, e) ||
	    close_own_pool(b, R->t, e) ||
	    timers_restore(b->in, b->nr, b->scratch, s, e) ||   /* before pending signals: it takes timer signals */
	    signals_restore_pending(b->in, b->scratch, s, e) ||
	    process_restore_timers(&b->in[0], b->scratch, s, e) ||
	    process_restore_attrs(b->in, b->nr, b->scratch, s, !R->in_userns, e) ||
	    restore_parent_death_signal(R, k, e) ||
	    memory_finish(&b->in[0], s, b->scratch, e))
		return -1;
	for (int i = 0; i < b->nr && !R->registers_last; i++)
		if (threads_restore_registers(b->tids[i], &s->threads[i], e))
			return -1;
	phase("threads, signals, timers");
	return 0;
}

/* The whole tree exists: members of groups led elsewhere in it join them
 * (a leader may come later in build order), then every thread gets its
 * own registers (when there were groups to join; else each process got
 * them as it was finished). */
static int join_groups_and_set_registers(struct restore *R, struct cryo_error *e)
{
	pid_t *pids = calloc((size_t)R->t->nr, sizeof(*pids));
	struct injector **ins = calloc((size_t)R->t->nr, sizeof(*ins));
	int rc = pids && ins ? 0 : cryo_fail(e, 0, "process group", "malloc", ENOMEM, "out of memory");
	for (int k = 0; !rc && k < R->t->nr; k++) {
		pids[k] = R->b[k].pid;
		ins[k] = R->b[k].nr ? &R->b[k].in[0] : NULL;
	}
	if (!rc)
		rc = sessions_join_groups(R->t, pids, ins, &session_opts, e);
	for (int k = 0; !rc && R->registers_last && k < R->t->nr; k++)
		for (int i = 0; !rc && i < R->b[k].nr; i++)
			rc = threads_restore_registers(R->b[k].tids[i], &R->t->procs[k].threads[i], e);
	free(pids);
	free(ins);
	return rc;
}

/* Nothing half-built is left: every process is killed and every thread,
 * being traced by us, reaped by us. */
static void kill_and_reap(struct restore *R)
{
	for (int k = 0; k < R->t->nr; k++)
		if (R->b[k].pid > 0)
			kill(R->b[k].pid, SIGKILL);
	for (int k = R->t->nr - 1; k >= 0; k--)
		for (int i = R->b[k].nr - 1; i >= 0; i--)
			if (R->b[k].tids && R->b[k].tids[i])
				waitpid(R->b[k].tids[i], NULL, __WALL);
	for (int k = 0; k < R->t->nr && !R->ns.init; k++)   /* the roots are our own children */
		if (R->b[k].pid > 0 && tree_is_root(R->t, &R->t->procs[k]))
			waitpid(R->b[k].pid, NULL, __WALL);
	if (R->ns.init) {                              /* or the init's, which goes with its namespace */
		job_ns_kill(&R->ns);
		waitpid(R->ns.init, NULL, __WALL);
		close(R->ns.sock);
		R->ns.init = 0;
	}
}

/* cr_restart --stop/--term/--signal N: queued while the process is still
 * traced, so it is the first thing it gets when it runs (SIGKILL ends it at
 * once, under our ptrace: kill_tree_then_detach). */
static int send_after_signal(const struct restore *R, int k, struct cryo_error *e)
{
	if (!R->after_signal || !R->b[k].nr || R->t->procs[k].proc.state == CRYO_PROCESS_ZOMBIE)
		return 0;
	if (kill(R->b[k].pid, R->after_signal) < 0)
		return cryo_fail_errno(e, R->b[k].pid, "process", "kill", "cannot send signal %d to restored process %d",
				       R->after_signal, R->b[k].pid);
	return 0;
}

/* --kill: every process of the tree gets SIGKILL while all are still
 * stopped under our ptrace, before any is let go.  Killed one by one as they
 * were detached, a parent ran on for a moment after its children died, and a
 * shell's 'wait' returned and ended it with status 0 before its own SIGKILL
 * came.  A thread already dying may be gone from ptrace. */
static int kill_tree_then_detach(struct restore *R, struct cryo_error *e)
{
	for (int k = R->t->nr - 1; k >= 0; k--)
		if (send_after_signal(R, k, e))
			return -1;
	for (int k = R->t->nr - 1; k >= 0; k--)
		for (int i = R->b[k].nr - 1; i >= 0; i--)
			if (R->b[k].tids[i] && ptrace(PTRACE_DETACH, R->b[k].tids[i], 0, 0) < 0 && errno != ESRCH)
				return cryo_fail_errno(e, R->b[k].tids[i], "process", "ptrace(PTRACE_DETACH)",
						       "cannot detach from process %d", R->b[k].tids[i]);
	return 0;
}

static int detach_all(struct restore *R, struct cryo_error *e)
{
	if (R->after_signal == SIGKILL)
		return kill_tree_then_detach(R, e);
	for (int k = R->t->nr - 1; k >= 0; k--) {
		if (R->b[k].nr && process_queue_stop(R->b[k].pid, &R->t->procs[k], e))
			return -1;
		if (send_after_signal(R, k, e))
			return -1;
		for (int i = R->b[k].nr - 1; i >= 0; i--)
			if (R->b[k].tids[i] && tracer_detach(R->b[k].tids[i], e))
				return -1;
	}
	return 0;
}

/* The tree is complete, every thread stopped with its own registers: let
 * it run.  Catchable signals wait (blocked) until it runs, then they are
 * the job's (cryo-engine relays them); one that came while building ends
 * the restore here.  Under Cryo's init the release is atomic: until the
 * init is told to commit, the restorer's death kills the init and with it
 * the whole namespace, detached or not; after it, the init outlives the
 * restorer and stays the job's parent.  Without a namespace the detach
 * sweep itself is the one window: a SIGKILL to the restorer inside it (a
 * few microseconds a thread) leaves the processes detached so far running
 * and kills the others (EXITKILL). */
static int release_tree(struct restore *R, struct cryo_error *e)
{
	sigset_t relayed, old;
	sigemptyset(&relayed);
	for (int sig = 1; sig < SIGRTMAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL)
			sigaddset(&relayed, sig);
	sigprocmask(SIG_BLOCK, &relayed, &old);
	int rc = restore_check_interrupted(e) || (R->ns.init && job_ns_roots_started(&R->ns, e)) || detach_all(R, e) ||
		 (R->ns.init && job_ns_commit(&R->ns, e)) ? -1 : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void say_new_session_ids(const struct restore *R)
{
	pid_t pids[R->t->nr];
	for (int k = 0; k < R->t->nr; k++)
		pids[k] = R->b[k].pid;
	sessions_say_new_ids(R->t, pids, R->restore_pid);
}

static void free_restore(struct restore *R)
{
	for (int k = 0; R->b && k < R->t->nr; k++) {
		free(R->b[k].tids);
		free(R->b[k].in);
	}
	free(R->b);
}

/* The pool (pipes.h) is made here, in the restorer, so that every root
 * inherits it; the context file's descriptor moves out of its way. */
static int make_pool(const struct tree *t, struct image_reader *r, struct cryo_error *e)
{
	int pool = pipes_pool_base(t);
	int out_of_the_way = fcntl(r->fd, F_DUPFD_CLOEXEC, pool + pool_size(t) + 256);
	if (out_of_the_way < 0)
		return cryo_fail_errno(e, 0, "context file", "fcntl", "cannot move a descriptor out of the way");
	close(r->fd);
	r->fd = out_of_the_way;
	return resources_create_pool(t, pool, relocate, e);
}

static int close_pool(const struct tree *t)
{
	int pool = pipes_pool_base(t);
	if (pool_size(t))
		syscall(SYS_close_range, pool, pool + pool_size(t) - 1, 0);
	return 0;
}

static void start_root_in_namespace(int k, int status_fd, void *arg)
{
	struct restore *R = arg;
	become_restorable(R->t, &R->t->procs[k], status_fd);
}

/* Without the privilege to choose PIDs, a user namespace of the caller's own
 * gives it (clone3 with set_tid is allowed in a PID namespace it owns).  A
 * job that had a namespace of its own brings its init back as PID 1 there;
 * any other gets Cryo's init as PID 1 and its PIDs under it.  Where no such
 * namespace can be made, the job gets new PIDs, with a notice. */
static int choose_pid_namespace(struct restore *R, int verbose, struct cryo_error *e)
{
	/* A job that was the init of a PID namespace of its own comes back as the init of a new one,
	 * where every PID it had is free: they are restored whatever was asked.  (Its init's PID
	 * outside is never asked for; cr_run asked for new PIDs when that one was taken, and a
	 * normal user's restart then tried a PID namespace without a user namespace, EPERM.) */
	if (R->t->procs[0].proc.ns_depth)
		R->restore_pid = 1;
	if (!R->restore_pid || may_choose_pids())
		return 0;
	R->in_userns = 1;
	if (R->t->procs[0].proc.ns_depth)
		return 0;
	struct cryo_error why = {0};
	if (!job_ns_start(&R->ns, start_root_in_namespace, R, &why)) {
		if (verbose)
			fprintf(stderr, "cryo-engine restore: PIDs restored in a user and PID namespace of the job's own (its init is PID %d)\n",
				R->ns.init);
		return 0;
	}
	fprintf(stderr, "cryo-engine restore: notice: the job gets new PIDs (%s)\n", why.msg);
	R->in_userns = 0;
	R->restore_pid = 0;
	return 0;
}

/* The descriptors of process k that name processes of the tree (pidfds,
 * their /proc files, owners of open files) and O_PATH ones, every process
 * now existing: through an injector of its own (the process has its
 * registers back already), with two pages of scratch memory for the paths. */
static int restore_late_fds(struct restore *R, int k, const struct pid_now *now, pid_t *const *tids,
			    struct cryo_error *e)
{
	const struct snapshot *s = &R->t->procs[k];
	struct injector in;
	long scratch;
	int late = 0;
	for (int i = 0; i < s->nr_fds; i++)
		late |= pathfds_is_late_kind(s->fds[i].r.kind) || fdowners_wanted(&s->fds[i]);
	if (!late || s->proc.state == CRYO_PROCESS_ZOMBIE)
		return 0;
	if (injector_prepare(&in, R->b[k].pid, 0, e) ||
	    injector_call(&in, "files", "mmap", "map a scratch page in process", SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &scratch, e))
		return -1;
	const struct snapshot *parent = tree_find(R->t, s->proc.ppid);
	return (parent && pathfds_take_from_parent(&in, (uint64_t)scratch, s, R->b[parent - R->t->procs].pid, e)) ||
	       pidfds_restore(&in, s, now, R->t->nr, e) ||
	       pathfds_restore(&in, (uint64_t)scratch, s, now, R->t->nr, relocate, e) ||
	       fdowners_restore(&in, (uint64_t)scratch, s, R->t, now, tids, e) ||
	       injector_call(&in, "files", "munmap", "unmap a scratch page in process", SYS_munmap, scratch, 8192, 0, 0, 0, 0,
			     NULL, e) ? -1 : 0;
}

/* Thread i of process k as the tree's processes see it. */
static pid_t tid_in_tree(const struct restore *R, int k, int i)
{
	const struct snapshot *s = &R->t->procs[k];
	return s->proc.ns_depth ? s->threads[i].r.ns_tid : R->restore_pid ? s->threads[i].r.tid : R->b[k].tids[i];
}

static int restore_tree_fds(struct restore *R, struct cryo_error *e)
{
	int nr = R->t->nr > 0 ? R->t->nr : 1, rc = 0;
	struct pid_now *now = calloc((size_t)nr, sizeof(*now));
	pid_t **tids = calloc((size_t)nr, sizeof(*tids));
	for (int k = 0; now && tids && k < R->t->nr && !rc; k++) {
		const struct cryo_process *p = &R->t->procs[k].proc;
		now[k] = (struct pid_now){ p->pid, p->ns_depth ? p->ns_pid : R->restore_pid ? p->pid : R->b[k].pid, R->b[k].pid };
		if (R->b[k].nr && !(tids[k] = calloc((size_t)R->b[k].nr, sizeof(pid_t))))
			rc = -1;
		for (int i = 0; tids[k] && i < R->b[k].nr; i++)
			tids[k][i] = tid_in_tree(R, k, i);
	}
	if (!now || !tids || rc)
		rc = cryo_fail(e, 0, "files", "malloc", ENOMEM, "out of memory");
	for (int k = 0; k < R->t->nr && !rc; k++)
		rc = restore_late_fds(R, k, now, tids, e);
	for (int k = 0; tids && k < R->t->nr; k++)
		free(tids[k]);
	free(tids);
	free(now);
	return rc;
}

/* The very last step in each thread: its seccomp filters (suspended while
 * the tree stays traced, so nothing before the release is theirs to refuse). */
static int restore_seccomp(struct restore *R, struct cryo_error *e)
{
	for (int k = 0; k < R->t->nr; k++)
		if (R->t->procs[k].seccomp_len && R->b[k].nr &&
		    seccomp_restore(R->b[k].tids, R->b[k].nr, &R->t->procs[k], BUILD_PTRACE_OPTIONS | PTRACE_O_TRACECLONE, e))
			return -1;
	return 0;
}

/* Each root is started by the restorer, then rebuilt with its descendants. */
static int rebuild_roots(struct restore *R, struct cryo_error *e)
{
	for (int k = 0; k < R->t->nr; k++) {
		const struct snapshot *s = &R->t->procs[k];
		if (!tree_is_root(R->t, s))
			continue;
		if (R->ns.init) {
			if (job_ns_start_root(&R->ns, k, s->proc.pid, &R->b[k].pid, e) || seize_for_build(R->b[k].pid, e))
				return -1;
		} else if ((R->b[k].pid = start_child(R->t, s, R->restore_pid, R->in_userns, e)) < 0) {
			R->b[k].pid = 0;
			return -1;
		}
		phase("start the process");
		if (rebuild_process(R, k, e))
			return -1;
	}
	return join_groups_and_set_registers(R, e);
}

static int check_same_kernel_vdso(const struct tree *t, struct cryo_error *e)
{
	uint64_t size = 0, sum = memory_own_vdso_checksum(&size);
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		if (s->proc.vdso_size && (size != s->proc.vdso_size || sum != s->proc.vdso_checksum))
			return cryo_fail(e, 0, "vdso", "", ENOEXEC,
					 "this kernel's vdso differs from the one the process was checkpointed with (kernel %s): "
					 "restart on a node running the same kernel", t->procs[0].kernel);
	}
	return 0;
}

static int check_files(const struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++)
		if (t->procs[k].proc.state != CRYO_PROCESS_ZOMBIE && files_check(t, &t->procs[k], relocate, e))
			return -1;
	return 0;
}

int cryo_restore(const struct cryo_restore_opts *o, struct cryo_restored *out, struct cryo_error *e)
{
	struct image_reader r;
	struct tree t;
	struct restore R = { .t = &t, .r = &r, .restore_pid = o->restore_pid, .after_signal = o->after_signal };
	int rc = -1;

	phase("start");
	if (o->after_signal < 0 || o->after_signal > 64)
		return cryo_fail(e, 0, "process", "", EINVAL, "invalid signal %d", o->after_signal);
	relocations = o->relocations;
	nr_relocations = o->nr_relocations;
	session_opts = (struct sessions_opts){ o->restore_sid, o->restore_pgid, o->verbose };
	/* an incremental file: its chain checked whole and merged first, before anything runs */
	int merged = -1;
	char merged_name[64];
	if (chain_materialize(o->path, &merged, merged_name, sizeof(merged_name), e))
		return -1;
	int opened = ir_open(&r, merged >= 0 ? merged_name : o->path, e);
	if (merged >= 0)
		close(merged);          /* r holds the file now */
	if (opened)
		return -1;
	r.path = o->path;
	if (merged >= 0)
		phase("merge the chain of incremental files");
	/* metadata checked whole now; page data as it is loaded, before any process runs */
	if (ir_verify_sections(&r, 0, e) || tree_read(&r, &t, e)) {
		ir_close(&r);
		return -1;
	}
	if (t.procs[0].proc.state == CRYO_PROCESS_ZOMBIE) {
		cryo_fail(e, 0, "context file", "", EINVAL, "context file %s is corrupt: its root is a zombie", o->path);
		goto out;
	}
	if (check_same_kernel_vdso(&t, e) || files_recreate_gone(&t, relocate, e) || check_files(&t, e))
		goto out;
	phase("read and check metadata");
	R.registers_last = sessions_groups_to_join(&t);
	R.b = calloc((size_t)t.nr, sizeof(*R.b));
	if (!R.b) {
		cryo_fail(e, 0, "process", "malloc", ENOMEM, "out of memory");
		goto out;
	}
	if (make_pool(&t, &r, e) || choose_pid_namespace(&R, o->verbose, e))
		goto out;
	if (o->lazy && lazy_begin(&R.lazy, &r, r.fd + 1, e))
		goto out;
	if (o->lazy)
		phase("lazy: page server set up");
	/* root restarting another user's file: that user's credentials, unless asked not to */
	as_recorded_user = geteuid() == 0 && !o->as_caller && !R.in_userns && t.procs[0].proc.uid[1] != 0;
	groups_from_user_database = 0;
	if (as_recorded_user)
		look_up_missing_groups(&t);
	if (create_sysv_objects(&t, e))
		goto out;
	if (rebuild_roots(&R, e) || restore_tree_fds(&R, e) || restore_seccomp(&R, e) ||
	    ttys_lock_again(&t, pipes_pool_base(&t), e) || close_pool(&t) ||
	    release_tree(&R, e)) {
		kill_and_reap(&R);
		goto out;
	}
	lazy_release(R.lazy);
	R.lazy = NULL;
	phase("release");
	say_new_session_ids(&R);
	say_credentials(&t, o->as_caller, R.in_userns, o->verbose);
	out->root = R.b[0].pid;
	out->parent = R.ns.init ? R.ns.init : R.b[0].pid;
	out->status_fd = R.ns.init ? R.ns.sock : -1;
	out->pids = R.in_userns ? CRYO_PIDS_IN_NAMESPACE : R.restore_pid ? CRYO_PIDS_RESTORED : CRYO_PIDS_NEW;
	rc = 0;
out:
	lazy_abort(R.lazy);
	if (R.b)
		sysv_release(&t);
	free_restore(&R);
	tree_free(&t);
	ir_close(&r);
	return rc;
}
