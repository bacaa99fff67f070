#include "timers.h"
#include "error.h"
#include "memory.h"
#include "proc.h"
#include "resources.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON 1
#endif
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* A CPU clock id (include/linux/posix-timers.h): ~pid << 3 | per-thread bit 4 | PROF 0, VIRT 1, SCHED 2. */
#define CPUCLOCK_PERTHREAD 4
#define PROCESS_SELF_CPUCLOCK(which) ((int32_t)(~0u << 3) | (which))

static int is_own_process_cpu_clock(int32_t clock)
{
	return clock < 0 && !(clock & CPUCLOCK_PERTHREAD) && (clock & 3) != 3 && ~(clock >> 3) == 0;
}

/* The clock a timer comes back on: the wall and monotonic ones as they
 * are, the process's own CPU clock as "the calling process's"; -1: none. */
static int32_t restorable_clock(int32_t clock, pid_t pid)
{
	switch (clock) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		return clock;
	}
	if (is_own_process_cpu_clock(clock))
		return clock;
	/* clock_getcpuclockid(own pid): the same clock, named by the PID */
	if (clock < 0 && !(clock & CPUCLOCK_PERTHREAD) && (clock & 3) != 3 && ~(clock >> 3) == pid)
		return PROCESS_SELF_CPUCLOCK(clock & 3);
	return -1;
}

static int thread_index(const pid_t *tids, int nr, pid_t tid)
{
	for (int i = 0; i < nr; i++)
		if (tids[i] == tid)
			return i;
	return -1;
}

static int time_left(struct injector *in, uint64_t scratch, struct cryo_posix_timer *t, struct cryo_error *e)
{
	struct itimerspec its;
	if (injector_call(in, "POSIX timers", "timer_gettime", "read a POSIX timer of", SYS_timer_gettime, t->id,
			  (long)scratch, 0, 0, 0, 0, NULL, e) ||
	    memory_peek(in->pid, scratch, &its, sizeof(its), e))
		return -1;
	t->value_sec = its.it_value.tv_sec;
	t->value_nsec = its.it_value.tv_nsec;
	t->interval_sec = its.it_interval.tv_sec;
	t->interval_nsec = its.it_interval.tv_nsec;
	return 0;
}

/* The overrun count of the timer's last signal (timer_getoverrun), which a
 * restart makes the kernel count again (restore_overrun): only for a
 * periodic timer on a wall or monotonic clock that signals. */
static int overrun_of(struct injector *in, struct cryo_posix_timer *t, struct cryo_error *e)
{
	long n;
	if (injector_call(in, "POSIX timers", "timer_getoverrun", "read a POSIX timer's overrun count of", SYS_timer_getoverrun,
			  t->id, 0, 0, 0, 0, 0, &n, e))
		return -1;
	t->overrun = (int32_t)n;
	if (n > 0 && (t->clockid < 0 || !(t->interval_sec || t->interval_nsec) || !(t->value_sec || t->value_nsec) ||
		      (t->notify & ~SIGEV_THREAD_ID) != SIGEV_SIGNAL))
		return cryo_fail(e, in->tgid, "POSIX timers", "timer_getoverrun", ENOTSUP,
				 "POSIX timer %d of process %d has an overrun count (%ld) on a CPU clock or without an interval, "
				 "which a restart cannot give back: not supported", t->id, in->tgid, n);
	return 0;
}

static int add_timer(struct snapshot *s, const struct cryo_posix_timer *t, struct cryo_error *e)
{
	struct cryo_posix_timer *grown = realloc(s->timers, (size_t)(s->nr_timers + 1) * sizeof(*grown));
	if (!grown)
		return cryo_fail(e, s->proc.pid, "POSIX timers", "malloc", ENOMEM, "out of memory");
	s->timers = grown;
	s->timers[s->nr_timers++] = *t;
	return 0;
}

/* One "ID: ... ClockID: ..." block of /proc/PID/timers into t; 0 at the end, -1 if malformed. */
static int parse_block(char **at, struct cryo_posix_timer *t)
{
	char kind[16], whom[8];
	unsigned long long value;
	int id, signo, target, clock, used = 0;
	char *p = strstr(*at, "ID:");
	if (!p)
		return 0;
	if (sscanf(p, "ID: %d\nsignal: %d/%llx\nnotify: %15[a-z]/%7[a-z].%d\nClockID: %d%n",
		   &id, &signo, &value, kind, whom, &target, &clock, &used) != 7 || !used)
		return -1;
	*at = p + used;
	memset(t, 0, sizeof(*t));
	t->record_size = sizeof(*t);
	t->id = id;
	t->signo = signo;
	t->sigval = value;
	t->clockid = clock;
	t->thread = strcmp(whom, "tid") ? -1 : target;    /* a tid here, an index once known */
	t->notify = !strcmp(kind, "none") ? SIGEV_NONE : !strcmp(kind, "signal") ? SIGEV_SIGNAL : -1;
	if (t->thread >= 0)
		t->notify |= SIGEV_THREAD_ID;
	return 1;
}

int timers_capture(struct injector *in, uint64_t scratch, const pid_t *tids, int nr_tids, struct snapshot *s,
		   struct cryo_error *e)
{
	pid_t pid = in->tgid;
	char *text, *at;
	if (proc_read(pid, "timers", &text, NULL, e))
		return -1;
	at = text;
	int rc = 0;
	for (struct cryo_posix_timer t; !rc;) {
		int got = parse_block(&at, &t);
		if (got <= 0) {
			if (got < 0)
				rc = cryo_fail(e, pid, "POSIX timers", "", EINVAL, "cannot parse /proc/%d/timers", pid);
			break;
		}
		int32_t clock = restorable_clock(t.clockid, pid);
		if (clock == -1 || t.notify < 0) {
			rc = cryo_fail(e, pid, "POSIX timers", "", ENOTSUP,
				       "process %d has POSIX timer %d on clock %d (a thread's or another process's CPU clock): not supported",
				       pid, t.id, t.clockid);
			break;
		}
		t.clockid = clock;
		if (t.thread >= 0 && (t.thread = thread_index(tids, nr_tids, t.thread)) < 0) {
			rc = cryo_fail(e, pid, "POSIX timers", "", ENOTSUP,
				       "POSIX timer %d of process %d signals a thread of another process: not supported", t.id, pid);
			break;
		}
		rc = time_left(in, scratch, &t, e) || overrun_of(in, &t, e) || add_timer(s, &t, e) ? -1 : 0;
	}
	free(text);
	return rc;
}

int timers_valid(const struct cryo_posix_timer *t, const struct snapshot *s)
{
	int notify = t->notify & ~SIGEV_THREAD_ID;
	int to_thread = (t->notify & SIGEV_THREAD_ID) != 0;
	return t->id >= 0 && (notify == SIGEV_SIGNAL || (notify == SIGEV_NONE && !to_thread)) &&
	       (notify == SIGEV_NONE || (t->signo >= 1 && t->signo <= CRYO_NSIG)) &&
	       (to_thread ? t->thread >= 0 && t->thread < s->nr_threads : t->thread == -1) &&
	       restorable_clock(t->clockid, 0) == t->clockid &&
	       t->value_sec >= 0 && t->value_nsec >= 0 && t->value_nsec < 1000000000 &&
	       t->interval_sec >= 0 && t->interval_nsec >= 0 && t->interval_nsec < 1000000000 &&
	       t->overrun >= 0 && !t->reserved &&
	       (!t->overrun || (t->clockid >= 0 && notify == SIGEV_SIGNAL && (t->interval_sec || t->interval_nsec) &&
				(t->value_sec || t->value_nsec)));
}

/* The thread id thread i has as the process sees it (its own PID namespace, if any). */
static int target_tid(struct injector *in, int i, long *tid, struct cryo_error *e)
{
	return injector_call(&in[i], "POSIX timers", "gettid", "find a thread of", SYS_gettid, 0, 0, 0, 0, 0, 0, tid, e);
}

static int arm_timer(struct injector *in, uint64_t scratch, const struct cryo_posix_timer *t, int flags,
		     const struct itimerspec *its, struct cryo_error *e)
{
	return memory_poke(in->pid, scratch, its, sizeof(*its), e) ||
	       injector_call(&in[0], "POSIX timers", "timer_settime", "arm a POSIX timer of", SYS_timer_settime, t->id, flags,
			     (long)scratch, 0, 0, 0, NULL, e) ? -1 : 0;
}

#define NS 1000000000LL

/* Take the timer's signal in the thread it signals (waiting at most a
 * second for it): the kernel then counts the timer's overruns and arms it
 * again, as at any delivery. */
static int take_signal(struct injector *in, uint64_t scratch, const struct cryo_posix_timer *t, struct cryo_error *e)
{
	struct injector *to = t->thread >= 0 ? &in[t->thread] : &in[0];
	uint64_t set = 1ULL << (t->signo - 1);
	struct timespec wait = { 1, 0 };
	long r;
	if (memory_poke(in->pid, scratch, &set, sizeof(set), e) ||
	    memory_poke(in->pid, scratch + 8, &wait, sizeof(wait), e) ||
	    injector_syscall(to, SYS_rt_sigtimedwait, (long)scratch, 0, (long)(scratch + 8), 8, 0, 0, &r, e))
		return -1;
	if (r != t->signo)
		return cryo_fail(e, in->pid, "POSIX timers", "rt_sigtimedwait", r < 0 ? (int)-r : EAGAIN,
				 "POSIX timer %d of process %d did not signal while its overrun count was made again", t->id, in->pid);
	return 0;
}

/*
 * The overrun count of the last signal is only ever set by the kernel, when
 * it delivers a periodic timer's signal: it forwards the timer past now and
 * counts the periods it skipped.  So the timer is armed to have expired
 * overrun + 1 periods minus its time left ago (absolute time on its clock),
 * and its signal taken at once: the kernel counts overrun skipped periods
 * and arms the timer for now + its time left.  If taking the signal took
 * longer than the time left, one period more is counted: then again, with
 * a longer time left (at most one interval: the timer's next signal comes
 * that much later than it would have).  timer_settime starts the count from
 * 0 again, so the timer is armed by nothing else after this.
 */
static int restore_overrun(struct injector *in, uint64_t scratch, const struct cryo_posix_timer *t, struct cryo_error *e)
{
	long long interval = t->interval_sec * NS + t->interval_nsec, left = t->value_sec * NS + t->value_nsec;
	if (left > interval)
		left = interval;
	for (int attempt = 0; attempt < 8; attempt++, left = left * 2 > interval ? interval : left * 2) {
		struct timespec now;
		if (clock_gettime(t->clockid, &now))
			return cryo_fail_errno(e, in->pid, "POSIX timers", "clock_gettime", "cannot read clock %d", t->clockid);
		long long expired = now.tv_sec * NS + now.tv_nsec + left - ((long long)t->overrun + 1) * interval;
		if (expired <= 0)
			return cryo_fail(e, in->pid, "POSIX timers", "", ERANGE,
					 "POSIX timer %d of process %d: its overrun count (%d) is more periods than clock %d has run",
					 t->id, in->pid, t->overrun, t->clockid);
		struct itimerspec its = { { t->interval_sec, t->interval_nsec }, { expired / NS, expired % NS } };
		long got;
		if (arm_timer(in, scratch, t, TIMER_ABSTIME, &its, e) || take_signal(in, scratch, t, e) ||
		    injector_call(&in[0], "POSIX timers", "timer_getoverrun", "read a POSIX timer's overrun count of",
				  SYS_timer_getoverrun, t->id, 0, 0, 0, 0, 0, &got, e))
			return -1;
		if (got == t->overrun)
			return 0;
	}
	return cryo_fail(e, in->pid, "POSIX timers", "timer_getoverrun", EAGAIN,
			 "cannot give POSIX timer %d of process %d its overrun count (%d) back", t->id, in->pid, t->overrun);
}

static int create_timer(struct injector *in, uint64_t scratch, const struct cryo_posix_timer *t, struct cryo_error *e)
{
	struct sigevent ev;
	long tid = 0;
	int32_t id = t->id;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_value.sival_ptr = (void *)(uintptr_t)t->sigval;
	ev.sigev_signo = t->signo;
	ev.sigev_notify = t->notify;
	if (t->thread >= 0 && target_tid(in, t->thread, &tid, e))
		return -1;
	ev._sigev_un._tid = (int)tid;
	if (memory_poke(in->pid, scratch, &ev, sizeof(ev), e) ||
	    memory_poke(in->pid, scratch + sizeof(ev), &id, sizeof(id), e))
		return -1;
	long r;
	if (injector_syscall(&in[0], SYS_timer_create, t->clockid, (long)scratch, (long)(scratch + sizeof(ev)), 0, 0, 0, &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "POSIX timers", "timer_create", (int)-r,
				 "cannot create POSIX timer %d (clock %d) of process %d again", t->id, t->clockid, in->pid);
	int32_t got;
	if (memory_peek(in->pid, scratch + sizeof(ev), &got, sizeof(got), e))
		return -1;
	if (got != t->id)
		return cryo_fail(e, in->pid, "POSIX timers", "timer_create", EEXIST,
				 "POSIX timer %d of process %d came back as timer %d", t->id, in->pid, got);
	if (!t->value_sec && !t->value_nsec)
		return 0;           /* disarmed */
	if (t->overrun > 0)
		return restore_overrun(in, scratch, t, e);
	struct itimerspec its = { { t->interval_sec, t->interval_nsec }, { t->value_sec, t->value_nsec } };
	return arm_timer(in, scratch, t, 0, &its, e);
}

static int restore_ids(struct injector *in, int on, struct cryo_error *e)
{
	long r;
	if (injector_syscall(in, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS,
			     on ? PR_TIMER_CREATE_RESTORE_IDS_ON : PR_TIMER_CREATE_RESTORE_IDS_OFF, 0, 0, 0, 0, &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "POSIX timers", "prctl(PR_TIMER_CREATE_RESTORE_IDS)", (int)-r,
				 "cannot give process %d its POSIX timers back with their ids (needs Linux 6.17 or later)", in->pid);
	return 0;
}

int timers_restore(struct injector *in, int nr, uint64_t scratch, const struct snapshot *s, struct cryo_error *e)
{
	if (!s->nr_timers)
		return 0;
	if (nr != s->nr_threads)
		return cryo_fail(e, in->pid, "POSIX timers", "", EINVAL, "process %d has %d threads, not %d", in->pid, nr,
				 s->nr_threads);
	if (restore_ids(&in[0], 1, e))
		return -1;
	for (int i = 0; i < s->nr_timers; i++)
		if (create_timer(in, scratch, &s->timers[i], e))
			return -1;
	return restore_ids(&in[0], 0, e);
}

const struct process_section_ops posix_timers_section = {
	.section = CRYO_SEC_POSIX_TIMERS, .name = "POSIX timers", .write = snapshot_write_timers, .read = snapshot_read_timers,
};
