#include "threads.h"
#include "error.h"
#include "memory.h"
#include "proc.h"
#include "signals.h"
#include "tracer.h"

#include <errno.h>
#include <linux/rseq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif
#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif

#define ERESTART_RESTARTBLOCK 516
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

struct rseq_config {            /* struct ptrace_rseq_configuration */
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static int capture_rseq(pid_t tid, struct cryo_thread *r, struct cryo_error *e)
{
	struct rseq_config conf = {0};
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof(conf), &conf) < 0)
		return cryo_fail_errno(e, tid, "rseq", "ptrace(PTRACE_GET_RSEQ_CONFIGURATION)", "cannot read the rseq registration of thread %d", tid);
	r->rseq_addr = conf.rseq_abi_pointer;
	r->rseq_len = conf.rseq_abi_size;
	r->rseq_sig = conf.signature;
	r->rseq_flags = conf.flags;
	return 0;
}

static int capture_robust_list(pid_t tid, struct cryo_thread *r, struct cryo_error *e)
{
	void *head = NULL;
	size_t len = 0;
	if (syscall(SYS_get_robust_list, tid, &head, &len) < 0)
		return cryo_fail_errno(e, tid, "robust futex list", "get_robust_list", "cannot read the robust futex list of thread %d", tid);
	r->robust_list_head = (uint64_t)head;
	r->robust_list_len = len;
	return 0;
}

static int capture_tid_address(struct injector *in, uint64_t scratch, struct cryo_thread *r, struct cryo_error *e)
{
	long ret;
	if (injector_syscall(in, SYS_prctl, PR_GET_TID_ADDRESS, (long)scratch, 0, 0, 0, 0, &ret, e))
		return -1;
	if (ret < 0)
		return cryo_fail(e, in->pid, "clear-tid address", "prctl(PR_GET_TID_ADDRESS)", (int)-ret,
				 "cannot read the clear-tid address of thread %d", in->pid);
	return memory_peek(in->pid, scratch, &r->clear_child_tid, sizeof(r->clear_child_tid), e);
}

static int capture_altstack(struct injector *in, uint64_t scratch, struct cryo_thread *r, struct cryo_error *e)
{
	stack_t ss;
	long ret;
	if (injector_syscall(in, SYS_sigaltstack, 0, (long)scratch, 0, 0, 0, 0, &ret, e) ||
	    memory_peek(in->pid, scratch, &ss, sizeof(ss), e))
		return -1;
	if (ret < 0)
		return cryo_fail(e, in->pid, "alternate signal stack", "sigaltstack", (int)-ret,
				 "cannot read the alternate signal stack of thread %d", in->pid);
	r->altstack_sp = (uint64_t)ss.ss_sp;
	r->altstack_size = ss.ss_size;
	r->altstack_flags = ss.ss_flags;
	return 0;
}

/* Exactly the kernel's 16 bytes (the comm file would add a newline to a name that may hold one). */
static int capture_name(struct injector *in, uint64_t scratch, struct thread_rec *t, struct cryo_error *e)
{
	if (injector_call(in, "thread name", "prctl(PR_GET_NAME)", "read the name of thread", SYS_prctl, PR_GET_NAME,
			  (long)scratch, 0, 0, 0, 0, NULL, e) ||
	    memory_peek(in->pid, scratch, t->name, sizeof(t->name), e))
		return -1;
	t->name[sizeof(t->name) - 1] = 0;
	return 0;
}

/* Read from outside: sched_getaffinity of another thread needs no permission. */
static int capture_affinity(pid_t tid, struct thread_rec *t, struct cryo_error *e)
{
	long n = syscall(SYS_sched_getaffinity, tid, sizeof(t->affinity), t->affinity);
	if (n < 0)
		return cryo_fail_errno(e, tid, "CPU affinity", "sched_getaffinity", "cannot read the CPU affinity of thread %d", tid);
	t->affinity_len = (uint32_t)n;
	return 0;
}

int threads_capture(struct injector *in, uint64_t scratch, struct thread_rec *t, struct cryo_error *e)
{
	pid_t tid = in->pid;
	size_t xsize = CRYO_XSTATE_MAX;

	t->r.tid = tid;
	struct proc_status st;
	if (proc_read_task_status(in->tgid, tid, &st, e))
		return -1;
	t->r.ns_tid = st.ns_pid;
	memcpy(t->r.regs, &in->saved, sizeof(t->r.regs));
	t->r.blocked = in->saved_sigmask;
	t->xstate = malloc(CRYO_XSTATE_MAX);
	if (!t->xstate)
		return cryo_fail(e, tid, "registers", "malloc", ENOMEM, "out of memory");
	if (tracer_get_xstate(tid, t->xstate, &xsize, e))
		return -1;
	t->r.xstate_size = (uint32_t)xsize;
	return capture_rseq(tid, &t->r, e) || capture_robust_list(tid, &t->r, e) ||
	       capture_tid_address(in, scratch, &t->r, e) || capture_altstack(in, scratch, &t->r, e) ||
	       capture_name(in, scratch, t, e) || capture_affinity(tid, t, e) ||
	       signals_capture_pending(tid, 0, &t->pending, &t->r.nr_pending, e) ? -1 : 0;
}

static int remote_call(struct injector *in, const char *what, const char *resource, long nr,
		       long a1, long a2, long a3, long a4, struct cryo_error *e)
{
	return injector_call(in, resource, what, "restore the kernel links of thread", nr, a1, a2, a3, a4, 0, 0, NULL, e);
}

int threads_restore_kernel_links(struct injector *in, uint64_t scratch, const struct thread_rec *t,
				 struct cryo_error *e)
{
	const struct cryo_thread *r = &t->r;
	/* SS_ONSTACK is a state, not a setting: the kernel derives it from the stack pointer */
	stack_t ss = { .ss_sp = (void *)r->altstack_sp, .ss_size = r->altstack_size,
		       .ss_flags = r->altstack_flags & (SS_DISABLE | SS_AUTODISARM) };
	if (!(r->altstack_flags & SS_DISABLE) &&
	    (memory_poke(in->pid, scratch, &ss, sizeof(ss), e) ||
	     remote_call(in, "sigaltstack", "alternate signal stack", SYS_sigaltstack, (long)scratch, 0, 0, 0, e)))
		return -1;
	if (remote_call(in, "set_robust_list", "robust futex list", SYS_set_robust_list,
			(long)r->robust_list_head, (long)r->robust_list_len, 0, 0, e) ||
	    remote_call(in, "set_tid_address", "clear-tid address", SYS_set_tid_address,
			(long)r->clear_child_tid, 0, 0, 0, e))
		return -1;
	if (r->rseq_addr && r->rseq_len &&
	    remote_call(in, "rseq", "rseq registration", SYS_rseq, (long)r->rseq_addr, r->rseq_len, 0, r->rseq_sig, e))
		return -1;
	/* a new thread has its leader's name; a file without names leaves it so */
	if (t->name[0] && (memory_poke(in->pid, scratch, t->name, sizeof(t->name), e) ||
			   remote_call(in, "prctl(PR_SET_NAME)", "thread name", SYS_prctl, PR_SET_NAME, (long)scratch, 0, 0, e)))
		return -1;
	return 0;
}

int threads_restore_affinity(struct injector *in, uint64_t scratch, const struct thread_rec *t, int *unplaceable,
			    struct cryo_error *e)
{
	long ret;
	if (!t->affinity_len)
		return 0;
	/* by the thread itself: another process's threads need CAP_SYS_NICE or the same user in its namespace */
	if (memory_poke(in->pid, scratch, t->affinity, t->affinity_len, e) ||
	    injector_syscall(in, SYS_sched_setaffinity, 0, t->affinity_len, (long)scratch, 0, 0, 0, &ret, e))
		return -1;
	/* EINVAL: none of its CPUs is online here or in the restart's cpuset (another node, a smaller job) */
	if (ret == -EINVAL) {
		*unplaceable = 1;
		return 0;
	}
	if (ret < 0)
		return cryo_fail(e, in->pid, "CPU affinity", "sched_setaffinity", (int)-ret,
				 "cannot pin thread %d to its CPUs again", in->pid);
	return 0;
}

/*
 * A syscall interrupted by the freeze, in a process that is new: the kernel
 * state behind a restart_syscall (the restart block) is gone, so re-enter
 * the syscall itself.  A relative nanosleep that was given a place for the
 * remaining time had it written there by the kernel at the freeze: sleep
 * exactly that long, so a 4 s sleep still ends 4 s of running time after it
 * began and returns 0.
 */
static void restart_in_new_process(struct user_regs_struct *regs)
{
	if ((long)regs->orig_rax < 0 || -(long)regs->rax != ERESTART_RESTARTBLOCK) {
		tracer_rewind_interrupted_syscall(regs);
		return;
	}
	long nr = (long)regs->orig_rax;
	if (nr == SYS_nanosleep && regs->rsi)
		regs->rdi = regs->rsi;
	else if (nr == SYS_clock_nanosleep && !(regs->rsi & TIMER_ABSTIME) && regs->r10)
		regs->rdx = regs->r10;
	regs->rax = regs->orig_rax;
	regs->rip -= 2;
	regs->orig_rax = (unsigned long long)-1;
}

int threads_restore_registers(pid_t tid, const struct thread_rec *t, struct cryo_error *e)
{
	struct user_regs_struct regs;
	memcpy(&regs, t->r.regs, sizeof(regs));
	restart_in_new_process(&regs);
	if (tracer_set_regs(tid, &regs, e))
		return -1;
	if (t->r.xstate_size && tracer_set_xstate(tid, t->xstate, t->r.xstate_size, e)) {
		snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
			 "; does this CPU have the extensions (AVX, AVX-512) of the checkpointed one?");
		return -1;
	}
	return tracer_set_sigmask(tid, t->r.blocked, e);
}
