/* Process-wide attributes: identity, memory layout fields, auxv, resource
 * limits, interval timers, cwd, umask, personality. */
#ifndef CRYO_PROCESS_H
#define CRYO_PROCESS_H

#include "inject.h"
#include "snapshot.h"

/* /proc and injected syscalls; in is stopped and prepared. */
int process_capture(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e);
/* A zombie: its identity and exit status only. */
int process_capture_zombie(pid_t pid, struct snapshot *s, struct cryo_error *e);
/* In the process being restored, on itself: cwd, umask, limits, personality. */
int process_restore_self(const struct snapshot *s, const char *cwd, struct cryo_error *e);
/* The same (and the command name) in a process forked from its restored
 * parent, by injected syscalls. */
int process_restore_injected(struct injector *in, uint64_t scratch, const struct snapshot *s, const char *cwd,
			     struct cryo_error *e);
/* Through the injector, last of all: the interval timers. */
int process_restore_timers(struct injector *in, uint64_t scratch, const struct snapshot *s, struct cryo_error *e);

#endif
