/* Per-thread state: registers, extended FPU state, blocked mask, pending
 * signals, rseq, robust futex list, clear-tid address. */
#ifndef CRYO_THREADS_H
#define CRYO_THREADS_H

#include "inject.h"
#include "snapshot.h"

/* in->saved holds the thread's own registers, in->saved_sigmask its mask. */
int threads_capture(struct injector *in, uint64_t scratch, struct thread_rec *t, struct cryo_error *e);

/* Through the injector, after the address space is back: rseq, robust
 * list, clear-tid address. */
int threads_restore_kernel_links(struct injector *in, const struct thread_rec *t, struct cryo_error *e);
/* Registers last: an interrupted syscall is set to restart as the kernel
 * would have restarted it; then the FPU state and the blocked mask. */
int threads_restore_registers(pid_t tid, const struct thread_rec *t, struct cryo_error *e);

#endif
