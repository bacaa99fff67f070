/*
 * POSIX timers (timer_create): listed by /proc/PID/timers (id, signal,
 * value, whom they notify, clock), their time left read by an injected
 * timer_gettime.  At a restart each is created again with its own id
 * (PR_TIMER_CREATE_RESTORE_IDS, Linux 6.17+) and armed with the time it had
 * left.  Section CRYO_SEC_POSIX_TIMERS, one per process.
 */
#ifndef CRYO_TIMERS_H
#define CRYO_TIMERS_H

#include "image.h"
#include "inject.h"
#include "snapshot.h"

/* Through the leader's injector; tids are the process's threads (tracer's
 * view), in THREAD record order.  Refuses a timer on a clock that cannot
 * come back (another process's or a thread's CPU clock). */
int timers_capture(struct injector *in, uint64_t scratch, const pid_t *tids, int nr_tids, struct snapshot *s,
		   struct cryo_error *e);
#define CRYO_MAX_TIMERS 65536
/* A timer record read from a file (snapshot_read_timers): sound for process s. */
int timers_valid(const struct cryo_posix_timer *t, const struct snapshot *s);
/* Once every thread of s exists (in[i] is thread i's injector). */
int timers_restore(struct injector *in, int nr, uint64_t scratch, const struct snapshot *s, struct cryo_error *e);

#endif
