#include "interrupt.h"
#include "error.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t requested;

void cryo_request_interrupt(int sig)
{
	if (!requested)
		requested = sig > 0 ? sig : SIGTERM;
}

int interrupt_signal(void)
{
	return requested;
}

int interrupt_check(pid_t pid, struct cryo_error *e)
{
	int sig = requested;
	if (!sig)
		return 0;
	cryo_fail(e, pid, "checkpoint", "", 0,
		  "checkpoint of %d interrupted by signal %d (%s): the processes run on as before, no file was written",
		  pid, sig, strsignal(sig));
	e->err = EINTR;
	return -1;
}
