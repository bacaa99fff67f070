/*
 * Running syscalls inside a stopped process on the engine's behalf: the
 * narrow contract (prepare, run a syscall, finish) that capture and restore
 * build on.  The process must be in a ptrace stop; its own registers are
 * kept aside.
 *
 * The thread holds injected state for ONE call at a time: injector_syscall
 * puts its own registers (an interrupted syscall rewound for restart) and its
 * own signal mask back as soon as the call returns.  So if the engine dies
 * between two calls (SIGKILL included: the kernel then detaches the thread
 * as it stands), the thread carries on exactly as if it had never been
 * stopped.  A death inside one call is made harmless by injector_guard: the
 * call then runs from a `syscall; ret` sequence whose return leads into
 * rt_sigreturn on a signal frame that holds the thread's own state, so a
 * thread let go mid-call finishes the call and returns to exactly where it
 * was.  The tracer always stops the thread at the syscall's exit, before the
 * `ret`; the frame is used only if the tracer is gone.
 */
#ifndef CRYO_INJECT_H
#define CRYO_INJECT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include "cryo/cryo.h"

/* Bytes of scratch memory injector_scratch_begin gives: enough for the
 * in/out arguments of one syscall (a sigaction, a timer, an rlimit). */
#define INJECT_SCRATCH_SIZE 256
/* The x86-64 ABI's red zone: a leaf function may keep data there. */
#define INJECT_RED_ZONE 128

struct inject_guard;

struct injector {
	pid_t pid;                           /* the thread */
	pid_t tgid;                          /* its process */
	uint64_t syscall_ip;                 /* address of a `syscall` instruction in the target */
	struct user_regs_struct saved;       /* the thread's own registers */
	uint64_t saved_sigmask;
	pid_t last_child;                    /* the PID (as the tracer sees it) of the last fork or clone */
	uint64_t scratch;                    /* injector_scratch_begin's area, 0 if none held */
	unsigned char scratch_own[INJECT_SCRATCH_SIZE];   /* the bytes the thread had there */
	struct inject_guard *guard;          /* injector_guard's frame, NULL: calls unguarded */
};

/* Take the stopped thread's registers and signal mask aside, and find a
 * syscall instruction in its [vdso] (syscall_ip 0) or use the one given.
 * Changes nothing in the thread. */
int injector_prepare(struct injector *in, pid_t pid, uint64_t syscall_ip, struct cryo_error *e);
/* The same for a thread of the process behind leader. */
int injector_prepare_thread(struct injector *in, const struct injector *leader, pid_t tid, struct cryo_error *e);
/* Run syscall nr with args inside the target, its signals blocked for the
 * call (so none stops it halfway); *ret gets the raw result (negative errno
 * on failure).  On return the thread has its own registers and mask again. */
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

/* Guard every later call of this thread against the engine's death (see
 * above), with the code sequences of leader if it is guarded (they share
 * their text), else found in the thread's executable mappings.  Returns 1 if
 * the thread is guarded, 0 if its calls stay unguarded as before: no
 * `syscall; ret` or `mov $15,%eax; syscall` in its text (a static binary
 * without them), a shadow stack (CET: the frame's `ret` would fault), a
 * stack pointer without room below it for the frame, an XSAVE area too
 * large.  Nothing in the thread changes; the frame's memory is written for
 * each call and its own bytes put back after it. */
int injector_guard(struct injector *in, const struct injector *leader);
/* Drop the guard (memory freed; the thread holds nothing of it). */
void injector_unguard(struct injector *in);

/* Scratch memory for syscall arguments, with no mapping added: the
 * INJECT_SCRATCH_SIZE bytes just below the thread's red zone, which the ABI
 * leaves to signal handlers (a thread keeps nothing there that a signal could
 * not overwrite; gdb's inferior calls use the same place).  The bytes found
 * there are kept and written back by injector_scratch_end, so the memory the
 * checkpoint saves is the thread's own.  Fails (nothing changed) if that
 * memory is not mapped writable, e.g. a stack pointer at the very bottom of
 * its stack: the caller then maps a page. */
int injector_scratch_begin(struct injector *in, uint64_t *addr, struct cryo_error *e);
/* Put the scratch area's own bytes back; nothing to do if none is held. */
int injector_scratch_end(struct injector *in, struct cryo_error *e);

/* Find a `syscall` instruction in the [vdso] of pid; 0 if none. */
uint64_t find_vdso_syscall(pid_t pid, uint64_t *vdso_start, uint64_t *vdso_end);

#endif
