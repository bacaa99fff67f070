/* Errors that say which process, which resource, which syscall and errno. */
#ifndef CRYO_ERROR_H
#define CRYO_ERROR_H

#include "cryo/cryo.h"

/* Fill *e and return -1.  fmt describes what was being done, in words. */
int cryo_fail(struct cryo_error *e, int pid, const char *resource,
	      const char *syscall, int err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Same, taking errno as the error. */
#define cryo_fail_errno(e, pid, res, sc, ...) \
	cryo_fail((e), (pid), (res), (sc), errno, __VA_ARGS__)

#endif
