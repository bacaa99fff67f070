/* Freezing a process with ptrace, and reading and writing a stopped thread. */
#ifndef CRYO_TRACER_H
#define CRYO_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include "cryo/cryo.h"

/* PTRACE_SEIZE and PTRACE_INTERRUPT tid and wait until it is in its
 * interrupt stop.  Signals that arrive first are delivered, as they would
 * have been a moment earlier. */
int tracer_seize(pid_t tid, struct cryo_error *e);
/* Seize every thread of process pid, re-reading /proc/PID/task until no new
 * thread appears; *tids (malloc'd, the leader first) and *n get them.  On
 * failure every thread seized so far is let go. */
int tracer_seize_threads(pid_t pid, pid_t **tids, int *n, struct cryo_error *e);
/* Wait for the next stop of tid; fails if it died. */
int tracer_wait(pid_t tid, int *status, struct cryo_error *e);
int tracer_detach(pid_t tid, struct cryo_error *e);

int tracer_get_regs(pid_t tid, struct user_regs_struct *r, struct cryo_error *e);
int tracer_set_regs(pid_t tid, const struct user_regs_struct *r, struct cryo_error *e);
/* The XSAVE area (x87, SSE, AVX, AVX-512 ...). *size in: buffer size, out: bytes. */
int tracer_get_xstate(pid_t tid, void *buf, size_t *size, struct cryo_error *e);
int tracer_set_xstate(pid_t tid, const void *buf, size_t size, struct cryo_error *e);
int tracer_get_sigmask(pid_t tid, uint64_t *mask, struct cryo_error *e);
int tracer_set_sigmask(pid_t tid, uint64_t mask, struct cryo_error *e);

/* A syscall the freeze interrupted, restarted the way the kernel would have
 * restarted it had no signal been pending: turns the saved registers into
 * ones that re-enter the syscall.  Returns 1 if the registers were changed. */
int tracer_rewind_interrupted_syscall(struct user_regs_struct *r);
/* The same for registers that rt_sigreturn will load, which forgets the
 * kernel's restart block: a call that restart_syscall would have resumed is
 * entered again from its start instead. */
int tracer_rewind_for_sigreturn(struct user_regs_struct *r);

#endif
