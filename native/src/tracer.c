#include "tracer.h"
#include "error.h"
#include "interrupt.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* The kernel's internal restart codes (include/linux/errno.h), seen in rax
 * when a thread is stopped on its way out of an interrupted syscall. */
#define ERESTARTSYS           512
#define ERESTARTNOINTR        513
#define ERESTARTNOHAND        514
#define ERESTART_RESTARTBLOCK 516

#define SEIZE_TIMEOUT_MS 10000

int tracer_wait(pid_t tid, int *status, struct cryo_error *e)
{
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cryo_fail_errno(e, tid, "process", "waitpid", "lost track of process %d", tid);
		if (WIFEXITED(*status) || WIFSIGNALED(*status))
			return cryo_fail(e, tid, "process", "", ESRCH,
					 "process %d ended while it was being worked on (%s %d)", tid,
					 WIFEXITED(*status) ? "exit status" : "signal",
					 WIFEXITED(*status) ? WEXITSTATUS(*status) : WTERMSIG(*status));
		return 0;
	}
}

static int is_interrupt_stop(int status)
{
	return WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP;
}

int tracer_seize(pid_t tid, struct cryo_error *e)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) < 0)
		return cryo_fail_errno(e, tid, "process", "ptrace(PTRACE_SEIZE)", "cannot attach to process %d", tid);
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
		int err = errno;
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return cryo_fail(e, tid, "process", "ptrace(PTRACE_INTERRUPT)", err, "cannot stop process %d", tid);
	}
	/* a thread in an uninterruptible wait (a vfork parent, a hung file system)
	 * stops only when the wait ends: give up rather than hang with it */
	long waited_us = 0, nap_us = 10;
	for (;;) {
		int status;
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
		if (r == 0) {
			if (interrupt_check(tid, e))
				return -1;
			if (waited_us >= SEIZE_TIMEOUT_MS * 1000L)
				return cryo_fail(e, tid, "process", "ptrace(PTRACE_INTERRUPT)", ETIMEDOUT,
						 "thread %d did not stop within %d s (uninterruptible sleep, or a parent waiting for its vfork child)",
						 tid, SEIZE_TIMEOUT_MS / 1000);
			usleep((useconds_t)nap_us);     /* a stop usually takes microseconds */
			waited_us += nap_us;
			if (nap_us < 1000)
				nap_us *= 2;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cryo_fail_errno(e, tid, "process", "waitpid", "lost track of process %d", tid);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return cryo_fail(e, tid, "process", "", ESRCH, "process %d ended while it was being stopped", tid);
		if (is_interrupt_stop(status))
			return 0;
		/* a signal on its way in: let it through, the interrupt stays pending */
		int sig = WIFSTOPPED(status) && (status >> 16) == 0 ? WSTOPSIG(status) : 0;
		if (ptrace(PTRACE_CONT, tid, 0, sig) < 0)
			return cryo_fail_errno(e, tid, "process", "ptrace(PTRACE_CONT)", "cannot resume process %d", tid);
	}
}

static int contains(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

/* One pass over /proc/PID/task: seize the threads not seized yet; returns
 * how many were new, or -1. */
static int seize_new_threads(pid_t pid, pid_t **tids, int *n, int *cap, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return cryo_fail_errno(e, pid, "threads", "opendir", "cannot list the threads of process %d", pid);
	int added = 0;
	for (struct dirent *de; (de = readdir(d));) {
		pid_t tid = atoi(de->d_name);
		if (tid <= 0 || contains(*tids, *n, tid))
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			pid_t *grown = realloc(*tids, (size_t)*cap * sizeof(pid_t));
			if (!grown) {
				closedir(d);
				return cryo_fail(e, pid, "threads", "malloc", ENOMEM, "out of memory");
			}
			*tids = grown;
		}
		if (tracer_seize(tid, e)) {
			closedir(d);
			return -1;
		}
		(*tids)[(*n)++] = tid;
		added++;
	}
	closedir(d);
	return added;
}

int tracer_seize_threads(pid_t pid, pid_t **tids, int *n, struct cryo_error *e)
{
	int cap = 0, added;
	*tids = NULL;
	*n = 0;
	/* the leader first: process-wide work is done through it */
	if (tracer_seize(pid, e))
		return -1;
	cap = 16;
	*tids = malloc((size_t)cap * sizeof(pid_t));
	if (!*tids) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return cryo_fail(e, pid, "threads", "malloc", ENOMEM, "out of memory");
	}
	(*tids)[(*n)++] = pid;
	/* a thread stopped in clone() may have a new sibling by the time we look again */
	while ((added = seize_new_threads(pid, tids, n, &cap, e)) > 0)
		;
	if (added < 0) {
		for (int i = 0; i < *n; i++)
			ptrace(PTRACE_DETACH, (*tids)[i], 0, 0);
		free(*tids);
		*tids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int tracer_detach(pid_t tid, struct cryo_error *e)
{
	if (ptrace(PTRACE_DETACH, tid, 0, 0) < 0)
		return cryo_fail_errno(e, tid, "process", "ptrace(PTRACE_DETACH)", "cannot detach from process %d", tid);
	return 0;
}

static int regset(pid_t tid, int get, int type, void *buf, size_t *size,
		  const char *what, struct cryo_error *e)
{
	struct iovec iov = { .iov_base = buf, .iov_len = *size };
	if (ptrace(get ? PTRACE_GETREGSET : PTRACE_SETREGSET, tid, (void *)(long)type, &iov) < 0)
		return cryo_fail_errno(e, tid, what, get ? "ptrace(PTRACE_GETREGSET)" : "ptrace(PTRACE_SETREGSET)",
				       "cannot %s the %s of thread %d", get ? "read" : "write", what, tid);
	*size = iov.iov_len;
	return 0;
}

int tracer_get_regs(pid_t tid, struct user_regs_struct *r, struct cryo_error *e)
{
	size_t size = sizeof(*r);
	return regset(tid, 1, NT_PRSTATUS, r, &size, "registers", e);
}

int tracer_set_regs(pid_t tid, const struct user_regs_struct *r, struct cryo_error *e)
{
	size_t size = sizeof(*r);
	return regset(tid, 0, NT_PRSTATUS, (void *)r, &size, "registers", e);
}

int tracer_get_xstate(pid_t tid, void *buf, size_t *size, struct cryo_error *e)
{
	return regset(tid, 1, NT_X86_XSTATE, buf, size, "extended FPU state", e);
}

int tracer_set_xstate(pid_t tid, const void *buf, size_t size, struct cryo_error *e)
{
	return regset(tid, 0, NT_X86_XSTATE, (void *)buf, &size, "extended FPU state", e);
}

int tracer_get_sigmask(pid_t tid, uint64_t *mask, struct cryo_error *e)
{
	if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(*mask), mask) < 0)
		return cryo_fail_errno(e, tid, "signal mask", "ptrace(PTRACE_GETSIGMASK)", "cannot read the blocked signals of thread %d", tid);
	return 0;
}

int tracer_set_sigmask(pid_t tid, uint64_t mask, struct cryo_error *e)
{
	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask) < 0)
		return cryo_fail_errno(e, tid, "signal mask", "ptrace(PTRACE_SETSIGMASK)", "cannot set the blocked signals of thread %d", tid);
	return 0;
}

int tracer_rewind_interrupted_syscall(struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0)
		return 0;
	switch (-(long)r->rax) {
	case ERESTARTSYS:
	case ERESTARTNOINTR:
	case ERESTARTNOHAND:
		r->rax = r->orig_rax;
		break;
	case ERESTART_RESTARTBLOCK:
		r->rax = SYS_restart_syscall;
		break;
	default:
		return 0;
	}
	r->rip -= 2;    /* back onto the syscall instruction */
	r->orig_rax = (unsigned long long)-1;
	return 1;
}

int tracer_rewind_for_sigreturn(struct user_regs_struct *r)
{
	if ((long)r->orig_rax >= 0 && -(long)r->rax == ERESTART_RESTARTBLOCK) {
		/* rt_sigreturn resets the restart block, so restart_syscall would
		 * return EINTR: enter the call again from its start (its arguments
		 * are still in their registers); a sleep or a timeout then runs in
		 * full again, never shorter */
		r->rax = r->orig_rax;
		r->rip -= 2;
		r->orig_rax = (unsigned long long)-1;
		return 1;
	}
	return tracer_rewind_interrupted_syscall(r);
}
