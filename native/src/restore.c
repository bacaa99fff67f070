/* cryo_restore and cryo_verify_file: the order of restore. */
#include "cryo/cryo.h"
#include "error.h"
#include "files.h"
#include "image.h"
#include "inject.h"
#include "memory.h"
#include "proc.h"
#include "process.h"
#include "signals.h"
#include "snapshot.h"
#include "threads.h"
#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RSEQ_SIG 0x53053053    /* glibc's signature on x86 */

int cryo_verify_file(const char *path, struct cryo_error *e)
{
	struct image_reader r;
	struct snapshot s;
	if (ir_open(&r, path, e))
		return -1;
	int rc = ir_verify_sections(&r, 1, e);
	if (!rc && !(rc = snapshot_read(&r, &s, e)))
		snapshot_free(&s);
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
static void become_restorable(const struct snapshot *s, int status_fd)
{
	struct cryo_error e = {0};
	sigset_t all;
	char buf[PATH_MAX];

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (process_restore_self(s, relocate(s->cwd, buf, sizeof(buf)), &e))
		report_and_exit(status_fd, &e);
	if ((status_fd = files_restore_self(s, relocate, status_fd, &e)) < 0)
		report_and_exit(status_fd, &e);
	if (signals_restore_actions(s, &e) || unregister_own_rseq(&e))
		report_and_exit(status_fd, &e);
	close(status_fd);          /* EOF tells the restorer we are ready */
	for (;;)
		pause();           /* every signal is blocked: only ptrace ends this */
}

static pid_t clone_with_pid(pid_t want, struct cryo_error *e)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	pid_t tid = want;
	if (want) {
		args.set_tid = (uint64_t)&tid;
		args.set_tid_size = 1;
	}
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0)
		return (pid_t)r;
	if (errno == EEXIST) {
		char who[96];
		proc_describe(want, who, sizeof(who));
		return cryo_fail(e, want, "process", "clone3", EEXIST,
				 "PID %d is taken by %s: end it, or restart with --no-restore-pid", want, who);
	}
	if (want && (errno == EPERM || errno == EINVAL))
		return cryo_fail_errno(e, want, "process", "clone3",
				       "cannot restore PID %d (needs root or CAP_CHECKPOINT_RESTORE): restart with --no-restore-pid", want);
	return cryo_fail_errno(e, want, "process", "clone3", "cannot create the process to restore");
}

/* Fork the child, let it set itself up, and take it over stopped. */
static pid_t start_child(const struct snapshot *s, int restore_pid, struct cryo_error *e)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cryo_fail_errno(e, 0, "process", "pipe2", "cannot create a pipe");
	pid_t pid = clone_with_pid(restore_pid ? s->proc.pid : 0, e);
	if (pid == 0) {
		close(pipefd[0]);
		become_restorable(s, pipefd[1]);
	}
	close(pipefd[1]);
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
	if (tracer_seize(pid, e)) {
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

/* A new thread of the process behind in (its leader), by an injected clone3,
 * with the thread id the image had when want is non-zero.  It is born
 * traced (PTRACE_O_TRACECLONE) and stopped before its first instruction. */
static int spawn_thread(struct injector *in, uint64_t scratch, pid_t want, pid_t *tid, struct cryo_error *e)
{
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
	};
	uint64_t args_at = scratch + 1024, tid_at = scratch + 2048;
	long r;
	if (want) {
		args.set_tid = tid_at;
		args.set_tid_size = 1;
		if (memory_poke(in->pid, tid_at, &want, sizeof(want), e))
			return -1;
	}
	if (memory_poke(in->pid, args_at, &args, sizeof(args), e) ||
	    injector_syscall(in, SYS_clone3, (long)args_at, sizeof(args), 0, 0, 0, 0, &r, e))
		return -1;
	if (r == -EEXIST) {
		char who[96];
		proc_describe(want, who, sizeof(who));
		return cryo_fail(e, want, "threads", "clone3", EEXIST,
				 "thread id %d is taken by %s: end it, or restart with --no-restore-pid", want, who);
	}
	if (r < 0)
		return cryo_fail(e, in->pid, "threads", "clone3", (int)-r, "cannot create thread %d of process %d", want, in->pid);
	int status;
	*tid = (pid_t)r;
	return tracer_wait(*tid, &status, e);
}

struct rebuild {
	int nr;
	pid_t *tids;                /* live thread i = the image's thread i */
	struct injector *in;
	uint64_t scratch;
};

static int rebuild_threads(struct rebuild *b, const struct snapshot *s, int restore_pid, struct cryo_error *e)
{
	if (ptrace(PTRACE_SETOPTIONS, b->tids[0], 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE) < 0)
		return cryo_fail_errno(e, b->tids[0], "threads", "ptrace(PTRACE_SETOPTIONS)", "cannot follow new threads");
	for (int i = 1; i < b->nr; i++) {
		if (spawn_thread(&b->in[0], b->scratch, restore_pid ? s->threads[i].r.tid : 0, &b->tids[i], e))
			return -1;
		if (injector_prepare_thread(&b->in[i], &b->in[0], b->tids[i], e))
			return -1;
	}
	for (int i = 0; i < b->nr; i++)
		if (threads_restore_kernel_links(&b->in[i], b->scratch, &s->threads[i], e))
			return -1;
	return 0;
}

static int rebuild(struct rebuild *b, const struct snapshot *s, struct image_reader *r, int restore_pid,
		   struct cryo_error *e)
{
	if (injector_prepare(&b->in[0], b->tids[0], 0, e))
		return -1;
	if (memory_restore(&b->in[0], s, r, relocate, &b->scratch, e))
		return -1;
	phase("memory");
	if (rebuild_threads(b, s, restore_pid, e) ||
	    signals_restore_pending(b->in, b->scratch, s, e) ||
	    process_restore_timers(&b->in[0], b->scratch, s, e) ||
	    memory_unmap_scratch(&b->in[0], b->scratch, e))
		return -1;
	for (int i = 0; i < b->nr; i++)
		if (threads_restore_registers(b->tids[i], &s->threads[i], e))
			return -1;
	phase("threads, signals, timers");
	return 0;
}

/* Nothing half-built is left: every thread is killed and, being traced by
 * us, reaped by us (the leader's status comes only after its threads'). */
static void kill_and_reap(struct rebuild *b)
{
	kill(b->tids[0], SIGKILL);
	for (int i = b->nr - 1; i >= 0; i--)
		if (b->tids[i])
			waitpid(b->tids[i], NULL, __WALL);
}

static int detach_all(struct rebuild *b, struct cryo_error *e)
{
	for (int i = b->nr - 1; i >= 0; i--)
		if (b->tids[i] && tracer_detach(b->tids[i], e))
			return -1;
	return 0;
}

static int check_same_kernel_vdso(const struct snapshot *s, struct cryo_error *e)
{
	uint64_t size = 0, sum = memory_own_vdso_checksum(&size);
	if (s->proc.vdso_size && (size != s->proc.vdso_size || sum != s->proc.vdso_checksum))
		return cryo_fail(e, 0, "vdso", "", ENOEXEC,
				 "this kernel's vdso differs from the one the process was checkpointed with (kernel %s): "
				 "restart on a node running the same kernel", s->kernel);
	return 0;
}

int cryo_restore(const struct cryo_restore_opts *o, pid_t *child, struct cryo_error *e)
{
	struct image_reader r;
	struct snapshot s;
	int rc = -1;
	struct rebuild b = {0};

	phase("start");
	relocations = o->relocations;
	nr_relocations = o->nr_relocations;
	if (ir_open(&r, o->path, e))
		return -1;
	/* metadata checked whole now; page data as it is loaded, before the process runs */
	if (ir_verify_sections(&r, 0, e) || snapshot_read(&r, &s, e)) {
		ir_close(&r);
		return -1;
	}
	if (check_same_kernel_vdso(&s, e) || files_check(&s, relocate, e))
		goto out;
	phase("read and check metadata");
	b.nr = s.nr_threads;
	b.tids = calloc((size_t)b.nr, sizeof(*b.tids));
	b.in = calloc((size_t)b.nr, sizeof(*b.in));
	if (!b.tids || !b.in) {
		cryo_fail(e, 0, "threads", "malloc", ENOMEM, "out of memory");
		goto out;
	}
	pid_t pid = start_child(&s, o->restore_pid, e);
	if (pid < 0)
		goto out;
	b.tids[0] = pid;
	phase("start the process");
	if (rebuild(&b, &s, &r, o->restore_pid, e) || detach_all(&b, e)) {
		kill_and_reap(&b);
		goto out;
	}
	*child = pid;
	rc = 0;
out:
	free(b.tids);
	free(b.in);
	snapshot_free(&s);
	ir_close(&r);
	return rc;
}
