#include "mapguard.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

/* The range this thread reads now, and where a fault in it returns to. */
static __thread sigjmp_buf *armed_jump;
static __thread uintptr_t armed_lo, armed_hi;
static volatile sig_atomic_t guard_installed;

/* A fault outside an armed range is not ours: the default action, as without the
 * handler (a fault re-raises on return; a SIGBUS sent by kill() is raised again). */
static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	uintptr_t at = (uintptr_t)info->si_addr;
	if (armed_jump && info->si_code > 0 && at >= armed_lo && at < armed_hi)
		siglongjmp(*armed_jump, 1);
	signal(sig, SIG_DFL);
	if (info->si_code <= 0)
		raise(sig);
}

int cryo_guard_mapped_reads(struct cryo_error *e)
{
	/* no SA_ONSTACK: the fault is a read of the file's pages, never of the stack */
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return cryo_fail(e, 0, "SIGBUS", "sigaction", errno, "cannot guard mapped reads");
	guard_installed = 1;
	return 0;
}

int cryo_mapped_reads_guarded(void)
{
	return guard_installed;
}

int cryo_guarded_read(const void *p, size_t n, void (*fn)(void *arg, const void *p, size_t n), void *arg)
{
	sigjmp_buf jump;
	/* the signal mask saved: the handler's return by siglongjmp must unblock SIGBUS again */
	if (sigsetjmp(jump, 1)) {
		armed_jump = NULL;
		return EFAULT;
	}
	armed_lo = (uintptr_t)p;
	armed_hi = (uintptr_t)p + n;
	armed_jump = &jump;
	fn(arg, p, n);
	armed_jump = NULL;
	return 0;
}
