/* Per-thread state: registers, extended FPU state, blocked mask, pending
 * signals, rseq, robust futex list, clear-tid address, name. */
#ifndef CRYO_THREADS_H
#define CRYO_THREADS_H

#include "inject.h"
#include "snapshot.h"

/* Through the thread's own injector (in->saved holds its registers,
 * in->saved_sigmask its mask): everything per-thread. */
int threads_capture(struct injector *in, uint64_t scratch, struct thread_rec *t, struct cryo_error *e);

/* Through the thread's injector, after the address space is back: robust
 * list, clear-tid address, rseq, alternate signal stack, name. */
int threads_restore_kernel_links(struct injector *in, uint64_t scratch, const struct thread_rec *t,
				 struct cryo_error *e);
/* Through the thread's injector: the CPUs it may run on, as they were (the
 * kernel keeps only those of them the restart's cpuset allows).  A thread
 * none of whose CPUs exists here keeps the restart's and sets *unplaceable. */
int threads_restore_affinity(struct injector *in, uint64_t scratch, const struct thread_rec *t, int *unplaceable,
			    struct cryo_error *e);
/* Registers last: an interrupted syscall is set to restart as the kernel
 * would have restarted it; then the FPU state and the blocked mask. */
int threads_restore_registers(pid_t tid, const struct thread_rec *t, struct cryo_error *e);

#endif
