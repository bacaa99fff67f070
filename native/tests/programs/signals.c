/*
 * Signal state: sigactions (handlers, SA_SIGINFO / SA_RESTART / SA_ONSTACK,
 * sa_mask), one ignored signal, the alternate signal stack, the blocked mask,
 * and signals pending while blocked, process-wide (kill, sigqueue with a
 * value, a real-time signal queued twice) and per-thread (tgkill).  After the
 * restart everything reads back the same, and unblocking delivers each
 * pending signal once, with its siginfo, on the right stack.
 */
#include "testlib.h"
#include <signal.h>
#include <sys/syscall.h>

#define ALTSTACK_SIZE (64 * 1024)
static char altstack[ALTSTACK_SIZE];

struct delivery { int sig, code, value; pid_t from; int on_altstack; int mask_ok; };
static volatile struct delivery got[16];
static volatile int nr_got;

static int on_altstack(void)
{
	char here;
	return &here >= altstack && &here < altstack + ALTSTACK_SIZE;
}

static void record(int sig, siginfo_t *si, int mask_ok)
{
	int i = nr_got++;
	if (i >= 16)
		return;
	got[i].sig = sig;
	got[i].code = si ? si->si_code : 0;
	got[i].value = si ? si->si_value.sival_int : 0;
	got[i].from = si ? si->si_pid : 0;
	got[i].on_altstack = on_altstack();
	got[i].mask_ok = mask_ok;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	/* sa_mask of SIGUSR1 is {SIGUSR2, SIGHUP}: both blocked while it runs. */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	record(sig, si, sigismember(&cur, SIGUSR2) && sigismember(&cur, SIGHUP));
}

static void on_usr2(int sig) { record(sig, NULL, 1); }
static void on_rt(int sig, siginfo_t *si, void *uc) { record(sig, si, 1); }
static void on_winch(int sig, siginfo_t *si, void *uc) { record(sig, si, 1); }

static void install(int sig, void *handler, int flags, int mask1, int mask2)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = handler;
	else
		sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (mask1)
		sigaddset(&sa.sa_mask, mask1);
	if (mask2)
		sigaddset(&sa.sa_mask, mask2);
	if (sigaction(sig, &sa, NULL) != 0)
		tl_fail("sigaction(%d)", sig);
}

static struct sigaction saved[65];
static int saved_ok[65];

static void check_actions(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction now;
		int ok = sigaction(sig, NULL, &now) == 0;
		if (ok != saved_ok[sig]) {
			tl_fail("sigaction(%d, NULL) now %s", sig, ok ? "works" : "fails");
			continue;
		}
		if (!ok)
			continue;
		TL_CHECK(now.sa_handler == saved[sig].sa_handler, "signal %d: handler %p, was %p", sig,
			 (void *)now.sa_handler, (void *)saved[sig].sa_handler);
		TL_CHECK(now.sa_flags == saved[sig].sa_flags, "signal %d: sa_flags %#x, was %#x", sig,
			 now.sa_flags, saved[sig].sa_flags);
		for (int m = 1; m <= 64; m++)
			if (sigismember(&now.sa_mask, m) != sigismember(&saved[sig].sa_mask, m)) {
				tl_fail("signal %d: sa_mask differs at signal %d", sig, m);
				break;
			}
	}
}

/* "SigPnd:\t0000000000000200" from /proc/self/status (this thread) or ShdPnd. */
static unsigned long long status_mask(const char *field)
{
	char buf[8192];
	ssize_t n = tl_read_file("/proc/self/status", buf, sizeof(buf) - 1);
	if (n <= 0)
		return ~0ull;
	buf[n] = 0;
	char *p = strstr(buf, field);
	return p ? strtoull(p + strlen(field) + 1, NULL, 16) : ~0ull;
}

static unsigned long long bit(int sig) { return 1ull << (sig - 1); }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const int rt = SIGRTMIN + 2;
	pid_t me = getpid();

	stack_t ss = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0)
		tl_fail("sigaltstack");
	install(SIGUSR1, on_usr1, SA_SIGINFO | SA_RESTART | SA_ONSTACK, SIGUSR2, SIGHUP);
	install(SIGUSR2, on_usr2, SA_RESTART, SIGTERM, 0);
	install(rt, on_rt, SA_SIGINFO | SA_ONSTACK, 0, 0);
	install(SIGWINCH, on_winch, SA_SIGINFO, SIGINT, 0);
	signal(SIGHUP, SIG_IGN);

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, rt);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_SETMASK, &block, NULL);

	kill(me, SIGUSR2);
	sigqueue(me, SIGUSR1, (union sigval){ .sival_int = 0x1234 });
	sigqueue(me, rt, (union sigval){ .sival_int = 111 });
	sigqueue(me, rt, (union sigval){ .sival_int = 222 });
	syscall(SYS_tgkill, me, (pid_t)syscall(SYS_gettid), SIGWINCH);

	for (int sig = 1; sig <= 64; sig++)
		saved_ok[sig] = sigaction(sig, NULL, &saved[sig]) == 0;
	unsigned long long thread_pending = status_mask("SigPnd:");
	unsigned long long shared_pending = status_mask("ShdPnd:");
	if (tl_failures)
		return 1;

	tl_ready();
	tl_wait_go();

	/* The state reads back the same. */
	check_actions();
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	for (int m = 1; m <= 64; m++)
		TL_CHECK(sigismember(&cur, m) == sigismember(&block, m), "blocked mask differs at signal %d", m);
	stack_t now;
	sigaltstack(NULL, &now);
	TL_CHECK(now.ss_sp == altstack && now.ss_size == ALTSTACK_SIZE && now.ss_flags == 0,
		 "sigaltstack is %p/%zu/%d", now.ss_sp, now.ss_size, now.ss_flags);
	sigset_t pend;
	sigpending(&pend);
	for (int m = 1; m <= 64; m++) {
		int want = m == SIGUSR1 || m == SIGUSR2 || m == rt || m == SIGWINCH;
		TL_CHECK(sigismember(&pend, m) == want, "sigpending: signal %d %s", m, want ? "missing" : "unexpected");
	}
	TL_CHECK(status_mask("SigPnd:") == thread_pending && thread_pending == bit(SIGWINCH),
		 "per-thread pending %llx, was %llx", status_mask("SigPnd:"), thread_pending);
	TL_CHECK(status_mask("ShdPnd:") == shared_pending &&
		 shared_pending == (bit(SIGUSR1) | bit(SIGUSR2) | bit(rt)),
		 "process-wide pending %llx, was %llx", status_mask("ShdPnd:"), shared_pending);
	TL_CHECK(nr_got == 0, "%d signals delivered while blocked", nr_got);

	/* Unblocking delivers each once. */
	sigset_t empty;
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	int seen_usr1 = 0, seen_usr2 = 0, seen_winch = 0, rt_values[2] = { 0, 0 }, nr_rt = 0;
	for (int i = 0; i < nr_got && i < 16; i++) {
		volatile struct delivery *d = &got[i];
		if (d->sig == SIGUSR1) {
			seen_usr1++;
			TL_CHECK(d->code == SI_QUEUE && d->value == 0x1234 && d->from == me,
				 "SIGUSR1 siginfo: code %d value %#x pid %d", d->code, d->value, d->from);
			TL_CHECK(d->on_altstack, "SIGUSR1 handler (SA_ONSTACK) not on the alternate stack");
			TL_CHECK(d->mask_ok, "SIGUSR1 handler ran without its sa_mask blocked");
		} else if (d->sig == SIGUSR2) {
			seen_usr2++;
			TL_CHECK(!d->on_altstack, "SIGUSR2 handler (no SA_ONSTACK) on the alternate stack");
		} else if (d->sig == SIGWINCH) {
			seen_winch++;
			TL_CHECK(d->code == SI_TKILL && d->from == me, "SIGWINCH siginfo: code %d pid %d", d->code, d->from);
		} else if (d->sig == rt) {
			if (nr_rt < 2)
				rt_values[nr_rt] = d->value;
			nr_rt++;
			TL_CHECK(d->on_altstack, "real-time handler (SA_ONSTACK) not on the alternate stack");
		} else {
			tl_fail("unexpected signal %d delivered", d->sig);
		}
	}
	TL_CHECK(seen_usr1 == 1, "SIGUSR1 delivered %d times", seen_usr1);
	TL_CHECK(seen_usr2 == 1, "SIGUSR2 delivered %d times", seen_usr2);
	TL_CHECK(seen_winch == 1, "SIGWINCH (tgkill) delivered %d times", seen_winch);
	TL_CHECK(nr_rt == 2 && rt_values[0] == 111 && rt_values[1] == 222,
		 "real-time signal delivered %d times, values %d %d", nr_rt, rt_values[0], rt_values[1]);

	/* Keeps working: SIG_IGN still ignores, handlers still run. */
	raise(SIGHUP);
	int before = nr_got;
	raise(SIGUSR2);
	TL_CHECK(nr_got == before + 1, "raise(SIGUSR2) after restart not delivered");
	return tl_finish();
}
