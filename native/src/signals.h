/* Signal actions, the alternate stack, pending signals. */
#ifndef CRYO_SIGNALS_H
#define CRYO_SIGNALS_H

#include "inject.h"
#include "rexec.h"
#include "snapshot.h"

/* Through the injector: every signal's action (rt_sigaction); scratch is
 * writable memory in the target. */
int signals_capture_actions(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e);
/* From outside: pending signals of thread t (and, if shared, the process). */
int signals_capture_pending(pid_t tid, int shared, siginfo_t **out, uint32_t *nr, struct cryo_error *e);

/* In the process being restored (rexec.h), before its address space is
 * replaced: every signal's action. */
int signals_restore_actions(struct rexec *x, const struct snapshot *s, struct cryo_error *e);
/* Through the injectors (in[i]: the live thread of the image's thread i),
 * while every signal is blocked: queue the pending signals again,
 * process-wide and per thread. */
int signals_restore_pending(struct injector *in, uint64_t scratch, const struct snapshot *s, struct cryo_error *e);

#endif
