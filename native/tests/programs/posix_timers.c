/*
 * POSIX timers of every kind Cryo restores, with ids that leave gaps
 * (timers 1 and 3 deleted):
 *   0  CLOCK_MONOTONIC, SIGUSR1 to the process, value 0xabc, every 50 ms
 *   2  CLOCK_REALTIME, SIGEV_NONE, disarmed
 *   4  CLOCK_MONOTONIC, SIGRTMIN to one worker thread (SIGEV_THREAD_ID), every 50 ms
 *   5  CLOCK_BOOTTIME, SIGUSR2, one shot in 1000 s
 *   6  CLOCK_PROCESS_CPUTIME_ID, SIGUSR2, one shot in 1000 s of CPU time
 *   7  CLOCK_REALTIME, SIGRTMIN+1 (blocked), every 1000 s, armed to have
 *      expired 3500 s ago and its signal taken: overrun count 3, 500 s left
 * After the restart each has its id, its interval and a time left no more
 * than it had; the periodic ones still deliver their signal with their
 * value and id (the thread one to its thread, and only there); the
 * deleted ids stay free; /proc/self/timers lists just these six; timer 7
 * still has its overrun count.
 * With "thread-clock": one timer on a thread's CPU clock, which Cryo refuses
 * (which thread's clock /proc does not say); the timer still works after.
 */
#include "testlib.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static volatile int usr1_count, usr1_bad;
static int worker_count, worker_bad;
static pid_t worker_tid;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code != SI_TIMER || si->si_value.sival_int != 0xabc || si->si_timerid != 0)
		usr1_bad++;
	usr1_count++;
}

static int make_timer(clockid_t clock, int notify, int signo, int value, pid_t tid)
{
	struct sigevent ev;
	int id = -1;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = notify;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_int = value;
	ev._sigev_un._tid = tid;
	if (syscall(SYS_timer_create, clock, &ev, &id) < 0) {
		tl_fail("timer_create(clock %d): %s", (int)clock, strerror(errno));
		return -1;
	}
	return id;
}

static void arm(int id, long value_ms, long interval_ms)
{
	struct itimerspec its = { { interval_ms / 1000, interval_ms % 1000 * 1000000L },
				  { value_ms / 1000, value_ms % 1000 * 1000000L } };
	if (syscall(SYS_timer_settime, id, 0, &its, NULL) < 0)
		tl_fail("timer_settime(%d): %s", id, strerror(errno));
}

/* SIGRTMIN is blocked everywhere: only this thread, which the timer names, takes it. */
static void *worker(void *arg)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	__atomic_store_n(&worker_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	for (;;) {
		if (sigwaitinfo(&set, &si) != SIGRTMIN)
			continue;
		if (si.si_code != SI_TIMER || si.si_value.sival_int != 0x4444 || si.si_timerid != 4)
			__atomic_add_fetch(&worker_bad, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&worker_count, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void check_timer(int id, long max_value_ms, long interval_ms, int armed)
{
	struct itimerspec its;
	if (syscall(SYS_timer_gettime, id, &its) < 0) {
		tl_fail("timer %d is gone: %s", id, strerror(errno));
		return;
	}
	long value_ms = its.it_value.tv_sec * 1000 + its.it_value.tv_nsec / 1000000;
	long got_interval = its.it_interval.tv_sec * 1000 + its.it_interval.tv_nsec / 1000000;
	TL_CHECK(got_interval == interval_ms, "timer %d: interval %ld ms, was %ld ms", id, got_interval, interval_ms);
	if (armed)
		TL_CHECK((its.it_value.tv_sec || its.it_value.tv_nsec) && value_ms <= max_value_ms,
			 "timer %d: %ld ms left, expected 0 < left <= %ld ms", id, value_ms, max_value_ms);
	else
		TL_CHECK(!its.it_value.tv_sec && !its.it_value.tv_nsec, "timer %d: armed (%ld ms left), was disarmed", id, value_ms);
}

static int count_listed_timers(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/self/timers", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "ID:", 3);
	fclose(f);
	return n;
}

/* Polls (bounded) until counter has grown by at least by. */
static int grows(int *counter, int by)
{
	int from = __atomic_load_n(counter, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) >= from + by)
			return 1;
		tl_sleep_ms(5);
	}
	return 0;
}

/* Timer id, every 1000 s, expired 3.5 periods ago: taking its signal makes
 * the kernel count 3 overruns and arm it for 500 s from now. */
static void overrun_three_times(int id)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec its = { { 1000, 0 }, { now.tv_sec - 3500, now.tv_nsec } };
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (syscall(SYS_timer_settime, id, TIMER_ABSTIME, &its, NULL) < 0 || sigwaitinfo(&set, &si) != SIGRTMIN + 1)
		tl_fail("timer %d: %s", id, strerror(errno));
	else if (si.si_overrun != 3 || syscall(SYS_timer_getoverrun, id) != 3)
		tl_fail("timer %d: overrun count %d before the checkpoint, expected 3", id, si.si_overrun);
}

/* Refused at checkpoint time: the process carries on with its timer. */
static int thread_clock_timer(void)
{
	int id = make_timer(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE, 0, 0, 0);
	arm(id, 1000000, 0);
	tl_ready();
	tl_wait_go();
	check_timer(id, 1000000, 0, 1);
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "thread-clock"))
		return thread_clock_timer();
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigaddset(&rt, SIGRTMIN + 1);           /* blocked in every thread: timer 7's */
	pthread_sigmask(SIG_BLOCK, &rt, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	while (!__atomic_load_n(&worker_tid, __ATOMIC_SEQ_CST))
		tl_sleep_ms(1);

	int ids[8];
	ids[0] = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0xabc, 0);
	ids[1] = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0, 0);
	ids[2] = make_timer(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 0);
	ids[3] = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0, 0);
	ids[4] = make_timer(CLOCK_MONOTONIC, SIGEV_THREAD_ID | SIGEV_SIGNAL, SIGRTMIN, 0x4444, worker_tid);
	ids[5] = make_timer(CLOCK_BOOTTIME, SIGEV_SIGNAL, SIGUSR2, 0, 0);
	ids[6] = make_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR2, 0, 0);
	ids[7] = make_timer(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 0x77, 0);
	for (int i = 0; i < 8; i++)
		if (ids[i] != i) {
			tl_fail("the kernel gave timer %d the id %d: the test assumes ids in order", i, ids[i]);
			return tl_finish();
		}
	syscall(SYS_timer_delete, 1);
	syscall(SYS_timer_delete, 3);
	arm(0, 50, 50);
	arm(4, 50, 50);
	arm(5, 1000000, 0);
	arm(6, 1000000, 0);
	overrun_three_times(7);
	if (!grows((int *)&usr1_count, 2) || !grows(&worker_count, 2))
		tl_fail("the timers do not fire before the checkpoint");

	tl_ready();
	tl_wait_go();

	check_timer(0, 50, 50, 1);
	check_timer(2, 0, 0, 0);
	check_timer(4, 50, 50, 1);
	check_timer(5, 1000000, 0, 1);
	check_timer(6, 1000000, 0, 1);
	check_timer(7, 500000, 1000000, 1);
	int overrun = (int)syscall(SYS_timer_getoverrun, 7);
	TL_CHECK(overrun == 3, "timer 7: overrun count %d after the restart, was 3", overrun);
	struct itimerspec its;
	TL_CHECK(syscall(SYS_timer_gettime, 1, &its) < 0 && errno == EINVAL, "deleted timer 1 exists after the restart");
	TL_CHECK(syscall(SYS_timer_gettime, 3, &its) < 0 && errno == EINVAL, "deleted timer 3 exists after the restart");
	int listed = count_listed_timers();
	TL_CHECK(listed == 6, "/proc/self/timers lists %d timers, expected 6", listed);
	TL_CHECK(grows((int *)&usr1_count, 3), "timer 0 no longer signals the process");
	TL_CHECK(grows(&worker_count, 3), "timer 4 no longer signals its thread");
	TL_CHECK(!usr1_bad, "%d SIGUSR1 without timer 0's id and value", usr1_bad);
	TL_CHECK(!__atomic_load_n(&worker_bad, __ATOMIC_SEQ_CST), "%d SIGRTMIN without timer 4's id and value", worker_bad);
	/* the deleted ids stay free for the process to use */
	int again = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	TL_CHECK(again >= 0 && again != 0 && again != 2 && again != 4 && again != 5 && again != 6 && again != 7,
		 "a new timer got id %d, one already in use", again);
	return tl_finish();
}
