/* libcryo_callbacks: see include/cryo/callbacks.h.  The restorer recognises
 * a process that maps this library and queues CRYO_RESTART_SIGNAL for it,
 * marked with CRYO_RESTART_MARK, as the restored process's first pending
 * signal; the handler runs the callbacks. */
#include "cryo/callbacks.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#define MAX_CALLBACKS 32

static struct { cryo_callback fn; void *arg; } callbacks[MAX_CALLBACKS];
static volatile sig_atomic_t nr_callbacks, restarts;

static void on_restart(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || si->si_value.sival_int != CRYO_RESTART_MARK)
		return;                 /* not the restorer's */
	restarts++;
	for (int i = 0; i < nr_callbacks; i++)
		callbacks[i].fn(callbacks[i].arg);
}

int cryo_register_callback(cryo_callback fn, void *arg)
{
	if (!fn || nr_callbacks >= MAX_CALLBACKS)
		return -1;
	if (nr_callbacks == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_restart;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigfillset(&sa.sa_mask);
		if (sigaction(CRYO_RESTART_SIGNAL, &sa, NULL) < 0)
			return -1;
	}
	callbacks[nr_callbacks].fn = fn;
	callbacks[nr_callbacks].arg = arg;
	nr_callbacks++;
	return 0;
}

int cryo_restart_count(void)
{
	return restarts;
}
