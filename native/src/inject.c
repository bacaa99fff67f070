#include "inject.h"
#include "error.h"
#include "tracer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define SYSCALL_STOP (SIGTRAP | 0x80)

uint64_t find_vdso_syscall(pid_t pid, uint64_t *vdso_start, uint64_t *vdso_end)
{
	char path[64], line[512];
	unsigned long start = 0, end = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]")) {
			sscanf(line, "%lx-%lx", &start, &end);
			break;
		}
	}
	fclose(f);
	if (!start || end - start > (1 << 20))
		return 0;
	if (vdso_start)
		*vdso_start = start;
	if (vdso_end)
		*vdso_end = end;

	size_t len = end - start;
	unsigned char *text = malloc(len);
	if (!text)
		return 0;
	struct iovec local = { text, len }, remote = { (void *)start, len };
	uint64_t found = 0;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len) {
		for (size_t i = 0; i + 1 < len; i++)
			if (text[i] == 0x0f && text[i + 1] == 0x05) {
				found = start + i;
				break;
			}
	}
	free(text);
	return found;
}

int injector_prepare(struct injector *in, pid_t pid, uint64_t syscall_ip, struct cryo_error *e)
{
	memset(in, 0, sizeof(*in));
	in->pid = pid;
	in->tgid = pid;
	in->syscall_ip = syscall_ip ? syscall_ip : find_vdso_syscall(pid, NULL, NULL);
	if (!in->syscall_ip)
		return cryo_fail(e, pid, "vdso", "", ENOEXEC,
				 "process %d has no [vdso] with a syscall instruction to run syscalls through", pid);
	if (tracer_get_regs(pid, &in->saved, e) || tracer_get_sigmask(pid, &in->saved_sigmask, e))
		return -1;
	/* signals that arrive now stay pending instead of stopping an injected syscall */
	return tracer_set_sigmask(pid, ~0ULL, e);
}

int injector_prepare_thread(struct injector *in, const struct injector *leader, pid_t tid, struct cryo_error *e)
{
	if (injector_prepare(in, tid, leader->syscall_ip, e))
		return -1;
	in->tgid = leader->tgid;
	return 0;
}

static int step_to_syscall_stop(struct injector *in, const char *name, struct cryo_error *e)
{
	int status;
	if (ptrace(PTRACE_SYSCALL, in->pid, 0, 0) < 0)
		return cryo_fail_errno(e, in->pid, "process", "ptrace(PTRACE_SYSCALL)", "cannot run %s in process %d", name, in->pid);
	for (;;) {
		if (tracer_wait(in->pid, &status, e))
			return -1;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SYSCALL_STOP)
			return 0;
		int event = status >> 16;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_VFORK) {
			/* the syscall returns the child's PID in its own namespace; this is ours */
			unsigned long child = 0;
			ptrace(PTRACE_GETEVENTMSG, in->pid, 0, &child);
			in->last_child = (pid_t)child;
		}
		/* an interrupt or other event stop: keep going, signals stay blocked */
		if (ptrace(PTRACE_SYSCALL, in->pid, 0, 0) < 0)
			return cryo_fail_errno(e, in->pid, "process", "ptrace(PTRACE_SYSCALL)", "cannot run %s in process %d", name, in->pid);
	}
}

int injector_syscall(struct injector *in, long nr, long a1, long a2, long a3,
		     long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	struct user_regs_struct r = in->saved;
	char name[32];
	snprintf(name, sizeof(name), "syscall %ld", nr);

	r.rax = (unsigned long)nr;
	r.orig_rax = (unsigned long)-1;   /* no restart logic on the way out of the current stop */
	r.rdi = (unsigned long)a1;
	r.rsi = (unsigned long)a2;
	r.rdx = (unsigned long)a3;
	r.r10 = (unsigned long)a4;
	r.r8 = (unsigned long)a5;
	r.r9 = (unsigned long)a6;
	r.rip = in->syscall_ip;
	r.eflags &= ~0x100UL;             /* no single-step trap */
	if (tracer_set_regs(in->pid, &r, e))
		return -1;
	if (step_to_syscall_stop(in, name, e) || step_to_syscall_stop(in, name, e))
		return -1;
	if (tracer_get_regs(in->pid, &r, e))
		return -1;
	*ret = (long)r.rax;
	return 0;
}

int injector_call(struct injector *in, const char *resource, const char *what, const char *doing, long nr,
		  long a1, long a2, long a3, long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	long r;
	if (injector_syscall(in, nr, a1, a2, a3, a4, a5, a6, &r, e))
		return -1;
	/* the kernel's error range: an address from mmap can look negative */
	if (r < 0 && r > -4096)
		return cryo_fail(e, in->pid, resource, what, (int)-r, "cannot %s %d", doing, in->pid);
	if (ret)
		*ret = r;
	return 0;
}

int injector_finish(struct injector *in, const struct user_regs_struct *regs, struct cryo_error *e)
{
	struct user_regs_struct own = in->saved;
	/* Back on its own registers the thread must re-enter the syscall the
	 * freeze interrupted: from a syscall-exit stop the kernel would not. */
	if (!regs)
		tracer_rewind_interrupted_syscall(&own);
	if (tracer_set_regs(in->pid, regs ? regs : &own, e))
		return -1;
	return tracer_set_sigmask(in->pid, in->saved_sigmask, e);
}
