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

/* A process without a vdso (it unmapped it): a `syscall` instruction in
 * any of its readable program text, libc's most likely; 0 if none. */
static uint64_t find_text_syscall(pid_t pid)
{
	char path[64], line[512];
	unsigned long start, end;
	char perms[8];
	uint64_t found = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned char *text = malloc(1 << 16);
	while (text && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' || perms[2] != 'x')
			continue;
		for (unsigned long at = start; at < end && !found; at += (1 << 16) - 1) {    /* chunks overlap by a byte */
			size_t len = end - at < (1 << 16) ? end - at : (1 << 16);
			struct iovec local = { text, len }, remote = { (void *)at, len };
			if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
				break;
			for (size_t i = 0; i + 1 < len; i++)
				if (text[i] == 0x0f && text[i + 1] == 0x05) {
					found = at + i;
					break;
				}
		}
	}
	free(text);
	fclose(f);
	return found;
}

int injector_prepare(struct injector *in, pid_t pid, uint64_t syscall_ip, struct cryo_error *e)
{
	memset(in, 0, sizeof(*in));
	in->pid = pid;
	in->tgid = pid;
	in->syscall_ip = syscall_ip ? syscall_ip : find_vdso_syscall(pid, NULL, NULL);
	if (!in->syscall_ip)
		in->syscall_ip = find_text_syscall(pid);
	if (!in->syscall_ip)
		return cryo_fail(e, pid, "vdso", "", ENOEXEC,
				 "process %d has no [vdso] with a syscall instruction to run syscalls through", pid);
	return tracer_get_regs(pid, &in->saved, e) || tracer_get_sigmask(pid, &in->saved_sigmask, e) ? -1 : 0;
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

/* The registers the thread runs on from a syscall-exit stop as if it had
 * never been stopped: its own, with a syscall the freeze interrupted rewound
 * so that it is entered again (from such a stop the kernel would not). */
static struct user_regs_struct own_registers(const struct injector *in)
{
	struct user_regs_struct own = in->saved;
	tracer_rewind_interrupted_syscall(&own);
	return own;
}

static int put_back_own_state(struct injector *in, struct cryo_error *e)
{
	struct user_regs_struct own = own_registers(in);
	return tracer_set_regs(in->pid, &own, e) || tracer_set_sigmask(in->pid, in->saved_sigmask, e) ? -1 : 0;
}

int injector_syscall(struct injector *in, long nr, long a1, long a2, long a3,
		     long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	struct user_regs_struct r = in->saved;
	struct cryo_error ignored;
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
	/* signals that arrive now stay pending instead of stopping the injected syscall */
	int rc = tracer_set_sigmask(in->pid, ~0ULL, e) || tracer_set_regs(in->pid, &r, e) ||
		 step_to_syscall_stop(in, name, e) || step_to_syscall_stop(in, name, e) ||
		 tracer_get_regs(in->pid, &r, e) ? -1 : 0;
	/* at once, not at injector_finish: the engine may die before its next call */
	if (put_back_own_state(in, rc ? &ignored : e))
		rc = -1;
	if (!rc)
		*ret = (long)r.rax;
	return rc;
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
	struct user_regs_struct own = own_registers(in);
	if (tracer_set_regs(in->pid, regs ? regs : &own, e))
		return -1;
	return tracer_set_sigmask(in->pid, in->saved_sigmask, e);
}

int injector_scratch_begin(struct injector *in, uint64_t *addr, struct cryo_error *e)
{
	uint64_t at = (in->saved.rsp - INJECT_RED_ZONE - INJECT_SCRATCH_SIZE) & ~63ULL;
	struct iovec local = { in->scratch_own, INJECT_SCRATCH_SIZE }, remote = { (void *)at, INJECT_SCRATCH_SIZE };
	/* read, then write the same bytes back: proves the area is there and writable */
	errno = 0;
	if (in->saved.rsp < INJECT_RED_ZONE + INJECT_SCRATCH_SIZE ||
	    process_vm_readv(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE ||
	    process_vm_writev(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE)
		return cryo_fail(e, in->pid, "memory", "process_vm_writev", errno ? errno : EFAULT,
				 "no scratch memory below the stack pointer of thread %d", in->pid);
	in->scratch = at;
	*addr = at;
	return 0;
}

int injector_scratch_end(struct injector *in, struct cryo_error *e)
{
	if (!in->scratch)
		return 0;
	struct iovec local = { in->scratch_own, INJECT_SCRATCH_SIZE }, remote = { (void *)in->scratch, INJECT_SCRATCH_SIZE };
	if (process_vm_writev(in->pid, &local, 1, &remote, 1, 0) != INJECT_SCRATCH_SIZE)
		return cryo_fail_errno(e, in->pid, "memory", "process_vm_writev",
				       "cannot put back the memory below the stack pointer of thread %d", in->pid);
	in->scratch = 0;
	return 0;
}
