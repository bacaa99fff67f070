/*
 * Event descriptors: an eventfd holding a count (and one in semaphore
 * mode), a periodic timerfd with expirations not yet read, a signalfd with
 * a signal pending for it, and an epoll set watching all three with its own
 * event data.  After the restart each reads what it held and keeps working.
 * A second timerfd expires every 0.1 ms: it has expired again, unread, by
 * the time its state is read at the checkpoint (the kernel shows no time left
 * on it then), and it must still run after the restart.
 */
#include "testlib.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int efd = eventfd(0, EFD_NONBLOCK);
	int sem = eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC);
	uint64_t add = 41;
	if (write(efd, &add, 8) != 8)
		return 1;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec its = { { 0, 50 * 1000000 }, { 0, 50 * 1000000 } };     /* every 50 ms */
	timerfd_settime(tfd, 0, &its, NULL);
	int fast = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec short_period = { { 0, 100000 }, { 0, 100000 } };   /* 0.1 ms */
	timerfd_settime(fast, 0, &short_period, NULL);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	raise(SIGUSR1);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xabc };
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	ev.data.u64 = 0xdef;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u64 = 0x123;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	tl_sleep_ms(120);                       /* two expirations wait unread */
	tl_ready();
	tl_wait_go();

	uint64_t v = 0;
	if (read(efd, &v, 8) != 8 || v != 41)
		tl_fail("eventfd count %llu, not 41", (unsigned long long)v);
	for (int i = 0; i < 3; i++)
		if (read(sem, &v, 8) != 8 || v != 1)
			tl_fail("semaphore eventfd read %d gave %llu", i, (unsigned long long)v);
	if (fcntl(sem, F_GETFD) != FD_CLOEXEC)
		tl_fail("close-on-exec lost on the semaphore eventfd");
	int seen_timer = 0, seen_signal = 0;
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 1000);
	for (int i = 0; i < n; i++) {
		seen_timer |= out[i].data.u64 == 0x123;
		seen_signal |= out[i].data.u64 == 0xdef;
	}
	if (!seen_timer || !seen_signal)
		tl_fail("epoll did not report the timer and the signal (%d events)", n);
	if (read(tfd, &v, 8) != 8 || v < 2)
		tl_fail("timerfd: %llu expirations, at least 2 were waiting", (unsigned long long)v);
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR1)
		tl_fail("the pending SIGUSR1 is not in the signalfd");
	tl_sleep_ms(60);
	if (read(tfd, &v, 8) != 8 || v < 1)
		tl_fail("the periodic timer stopped");
	if (read(fast, &v, 8) != 8 || v < 1)
		tl_fail("the 0.1 ms timer lost its expirations");
	tl_sleep_ms(20);
	if (read(fast, &v, 8) != 8 || v < 1)
		tl_fail("the 0.1 ms timer stopped");
	add = 5;
	if (write(efd, &add, 8) != 8 || epoll_wait(ep, out, 4, 1000) < 1)
		tl_fail("the eventfd no longer wakes the epoll set");
	return tl_finish();
}
