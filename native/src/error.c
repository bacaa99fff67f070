#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cryo_fail(struct cryo_error *e, int pid, const char *resource,
	      const char *syscall, int err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	e->err = err;
	e->pid = pid;
	snprintf(e->resource, sizeof(e->resource), "%s", resource ? resource : "");
	snprintf(e->syscall, sizeof(e->syscall), "%s", syscall ? syscall : "");

	size_t n = (size_t)snprintf(e->msg, sizeof(e->msg), "%s", what);
	if (n < sizeof(e->msg) && syscall && *syscall && err)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s: %s)", syscall, strerror(err));
	else if (n < sizeof(e->msg) && err)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", strerror(err));
	/* one line, always */
	for (char *p = e->msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return -1;
}
