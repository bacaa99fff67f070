#include "signals.h"
#include "error.h"
#include "memory.h"
#include "proc.h"
#include "cryo/callbacks.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Which signals have a handler and which are ignored: /proc/PID/status's SigCgt and SigIgn. */
static int read_dispositions(pid_t pid, uint64_t *caught, uint64_t *ignored, struct cryo_error *e)
{
	char *buf;
	if (proc_read(pid, "status", &buf, NULL, e))
		return -1;
	char *cgt = strstr(buf, "\nSigCgt:"), *ign = strstr(buf, "\nSigIgn:");
	int ok = cgt && ign;
	if (ok) {
		*caught = strtoull(cgt + 8, NULL, 16);
		*ignored = strtoull(ign + 8, NULL, 16);
	}
	free(buf);
	return ok ? 0 : cryo_fail(e, pid, "signals", "", EINVAL, "cannot read the signal dispositions of process %d", pid);
}

int signals_capture_actions(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e)
{
	uint64_t caught = 0, ignored = 0;
	if (read_dispositions(in->tgid, &caught, &ignored, e))
		return -1;
	for (int sig = 1; sig <= CRYO_NSIG; sig++) {
		struct cryo_sigaction *a = &s->proc.sigactions[sig - 1];
		uint64_t bit = 1ULL << (sig - 1);
		long r;
		/* Every injected call is a moment in which the engine's death would
		 * cost the process its registers: ask only about handlers and ignored
		 * signals.  A default action's flags and mask change nothing (SIGCHLD's
		 * SA_NOCLDSTOP and SA_NOCLDWAIT do: it is always asked about). */
		if (sig != SIGCHLD && !((caught | ignored) & bit)) {
			memset(a, 0, sizeof(*a));
			continue;
		}
		if (injector_syscall(in, SYS_rt_sigaction, sig, 0, (long)scratch, 8, 0, 0, &r, e))
			return -1;
		if (r < 0)
			return cryo_fail(e, in->pid, "signals", "rt_sigaction", (int)-r, "cannot read the action of signal %d", sig);
		if (memory_peek(in->pid, scratch, a, sizeof(*a), e))
			return -1;
	}
	return 0;
}

int signals_capture_pending(pid_t tid, int shared, siginfo_t **out, uint32_t *nr, struct cryo_error *e)
{
	siginfo_t *all = NULL;
	uint32_t n = 0;
	for (;;) {
		siginfo_t batch[32];
		struct __ptrace_peeksiginfo_args args = { .off = n, .flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0, .nr = 32 };
		long got = ptrace(PTRACE_PEEKSIGINFO, tid, &args, batch);
		if (got < 0) {
			free(all);
			return cryo_fail_errno(e, tid, "signals", "ptrace(PTRACE_PEEKSIGINFO)", "cannot read the pending signals of %d", tid);
		}
		if (got == 0)
			break;
		siginfo_t *grown = realloc(all, (n + (size_t)got) * sizeof(siginfo_t));
		if (!grown) {
			free(all);
			return cryo_fail(e, tid, "signals", "malloc", ENOMEM, "out of memory");
		}
		all = grown;
		memcpy(all + n, batch, (size_t)got * sizeof(siginfo_t));
		n += (uint32_t)got;
	}
	*out = all;
	*nr = n;
	return 0;
}

int signals_restore_actions(struct rexec *x, const struct snapshot *s, struct cryo_error *e)
{
	for (int sig = 1; sig <= CRYO_NSIG; sig++) {
		uint64_t at;
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* the kernel's own layout; handler addresses belong to the image */
		if (rexec_put(x, 0, &s->proc.sigactions[sig - 1], sizeof(struct cryo_sigaction), &at, e) ||
		    rexec_call(x, "signals", "rt_sigaction", SYS_rt_sigaction, sig, (long)at, 0, 8, 0, 0, NULL, e,
			       "cannot restore the action of signal %d", sig))
			return -1;
	}
	return 0;
}

/* tgid and tid as the target sees them (own_id: inside its PID namespace, if it is in one). */
static int queue_one(struct injector *in, uint64_t scratch, pid_t tgid, pid_t tid, const siginfo_t *si,
		     struct cryo_error *e)
{
	long r;
	if (memory_poke(in->pid, scratch, si, sizeof(*si), e))
		return -1;
	int rc = tid ? injector_syscall(in, SYS_rt_tgsigqueueinfo, tgid, tid, si->si_signo, (long)scratch, 0, 0, &r, e)
		     : injector_syscall(in, SYS_rt_sigqueueinfo, tgid, si->si_signo, (long)scratch, 0, 0, 0, &r, e);
	if (rc)
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "signals", tid ? "rt_tgsigqueueinfo" : "rt_sigqueueinfo", (int)-r,
				 "cannot queue pending signal %d again", si->si_signo);
	return 0;
}

/* A process that links libcryo_callbacks and has registered a callback
 * (its handler is set) is told of its restart: the marked signal is queued
 * first, so the callbacks run before it carries on. */
static int uses_callbacks(const struct snapshot *s)
{
	const struct cryo_sigaction *sa = &s->proc.sigactions[CRYO_RESTART_SIGNAL - 1];
	if (sa->handler == (uint64_t)(uintptr_t)SIG_DFL || sa->handler == (uint64_t)(uintptr_t)SIG_IGN)
		return 0;
	for (int i = 0; i < s->nr_vmas; i++) {
		const char *p = s->vmas[i].path, *name = strrchr(p ? p : "", '/');
		if (name && !strcmp(name, "/libcryo_callbacks.so"))
			return 1;
	}
	return 0;
}

/* The process's or a thread's own view of its id, asked of it: the recorded one in a PID
 * namespace of Cryo's or of the job's own, the host's otherwise.  The kernel takes a siginfo
 * with a code of its own (a SIGCHLD's CLD_EXITED) only from the caller, named as it sees itself. */
static int own_id(struct injector *in, long nr, pid_t *out, struct cryo_error *e)
{
	long r;
	if (injector_syscall(in, nr, 0, 0, 0, 0, 0, 0, &r, e))
		return -1;
	if (r <= 0)
		return cryo_fail(e, in->pid, "signals", nr == SYS_getpid ? "getpid" : "gettid", (int)-r,
				 "cannot learn the id of %d in its namespace", in->pid);
	*out = (pid_t)r;
	return 0;
}

int signals_restore_pending(struct injector *in, uint64_t scratch, const struct snapshot *s, struct cryo_error *e)
{
	int any = uses_callbacks(s) || s->proc.nr_shared_pending;
	for (int t = 0; t < s->nr_threads && !any; t++)
		any = s->threads[t].r.nr_pending > 0;
	pid_t tgid;
	if (!any)
		return 0;
	if (own_id(&in[0], SYS_getpid, &tgid, e))
		return -1;
	if (uses_callbacks(s)) {
		siginfo_t mark;
		memset(&mark, 0, sizeof(mark));
		mark.si_signo = CRYO_RESTART_SIGNAL;
		mark.si_code = SI_QUEUE;
		mark.si_pid = getpid();
		mark.si_uid = getuid();
		mark.si_value.sival_int = CRYO_RESTART_MARK;
		if (queue_one(&in[0], scratch, tgid, 0, &mark, e))
			return -1;
	}
	for (uint32_t i = 0; i < s->proc.nr_shared_pending; i++)
		if (queue_one(&in[0], scratch, tgid, 0, &s->shared_pending[i], e))
			return -1;
	/* the kernel lets only the thread itself queue a signal that claims to come from tgkill */
	for (int t = 0; t < s->nr_threads; t++) {
		pid_t tid;
		if (!s->threads[t].r.nr_pending)
			continue;
		if (own_id(&in[t], SYS_gettid, &tid, e))
			return -1;
		for (uint32_t i = 0; i < s->threads[t].r.nr_pending; i++)
			if (queue_one(&in[t], scratch, tgid, tid, &s->threads[t].pending[i], e))
				return -1;
	}
	return 0;
}
