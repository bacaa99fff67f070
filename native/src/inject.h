/*
 * Running syscalls inside a stopped process on the engine's behalf: the
 * narrow contract (prepare, run a syscall, finish) that capture and restore
 * build on.  The process must be in a ptrace stop; its own registers are
 * kept aside and put back by injector_finish.
 */
#ifndef CRYO_INJECT_H
#define CRYO_INJECT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include "cryo/cryo.h"

struct injector {
	pid_t pid;                           /* the thread */
	pid_t tgid;                          /* its process */
	uint64_t syscall_ip;                 /* address of a `syscall` instruction in the target */
	struct user_regs_struct saved;       /* the thread's own registers */
	uint64_t saved_sigmask;
	pid_t last_child;                    /* the PID (as the tracer sees it) of the last fork or clone */
};

/* Take the stopped thread's registers aside, block its signals for the
 * duration, and find a syscall instruction in its [vdso] (syscall_ip 0) or
 * use the one given. */
int injector_prepare(struct injector *in, pid_t pid, uint64_t syscall_ip, struct cryo_error *e);
/* The same for a thread of the process behind leader. */
int injector_prepare_thread(struct injector *in, const struct injector *leader, pid_t tid, struct cryo_error *e);
/* Run syscall nr with args inside the target; *ret gets the raw result
 * (negative errno on failure). */
int injector_syscall(struct injector *in, long nr, long a1, long a2, long a3,
		     long a4, long a5, long a6, long *ret, struct cryo_error *e);
/* injector_syscall for callers that treat a failed result (-4095..-1) as an
 * error: it becomes "cannot <doing> <pid>" about resource, naming the syscall
 * what.  *ret (if ret is not NULL) gets the result on success. */
int injector_call(struct injector *in, const char *resource, const char *what, const char *doing, long nr,
		  long a1, long a2, long a3, long a4, long a5, long a6, long *ret, struct cryo_error *e);
/* Put back the registers (regs, or the saved ones with an interrupted
 * syscall rewound for restart if NULL) and the signal mask. */
int injector_finish(struct injector *in, const struct user_regs_struct *regs, struct cryo_error *e);

/* Find a `syscall` instruction in the [vdso] of pid; 0 if none. */
uint64_t find_vdso_syscall(pid_t pid, uint64_t *vdso_start, uint64_t *vdso_end);

#endif
