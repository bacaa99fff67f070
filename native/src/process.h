/* Process-wide attributes: identity, memory layout fields, auxv, resource
 * limits, interval timers, cwd, umask, personality. */
#ifndef CRYO_PROCESS_H
#define CRYO_PROCESS_H

#include "inject.h"
#include "rexec.h"
#include "snapshot.h"

/* /proc and injected syscalls; in is stopped and prepared. */
int process_capture(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e);
/* A zombie: its identity and exit status only. */
int process_capture_zombie(pid_t pid, struct snapshot *s, struct cryo_error *e);
/* In the process being restored (rexec.h: a root on itself, a child by
 * injected syscalls): cwd, umask, limits, command name, personality. */
int process_restore(struct rexec *x, const struct snapshot *s, const char *cwd, struct cryo_error *e);
/* Through the injector, last of all: the interval timers. */
int process_restore_timers(struct injector *in, uint64_t scratch, const struct snapshot *s, struct cryo_error *e);
/* Before anything is injected: a thread under seccomp (strict mode would
 * be killed by the first injected syscall; a filter is not restored). */
int process_refuse_seccomp(pid_t pid, struct cryo_error *e);
/* After the credentials, through the injectors of all nr_threads threads
 * (in[0] the leader): child subreaper, THP-disable, membarrier
 * registrations, oom_score_adj, no_new_privs, scheduling policy and nice,
 * and (with_capabilities: not in a user namespace of the restart's own,
 * where the job keeps no capability by design) the capability sets.
 * A loginuid other than the recorded one is refused.  A file without them
 * (older) leaves them as they are. */
int process_restore_attrs(struct injector *in, int nr_threads, uint64_t scratch, const struct snapshot *s,
			  int with_capabilities, struct cryo_error *e);
/* In a restored root, before it gives up root: the recorded loginuid, if
 * it differs from the restarter's (only root may change it). */
int process_restore_own_loginuid(const struct snapshot *s, struct cryo_error *e);
/* Just before its threads are let go: a process recorded stopped gets a
 * SIGSTOP, pending, that stops it before it runs an instruction (its
 * parent sees it stop, and continue on SIGCONT). */
int process_queue_stop(pid_t pid, const struct snapshot *s, struct cryo_error *e);
/* While the threads still have CAP_SETPCAP (before the credentials are
 * final): the bounding set drops to the recorded one. */
int process_restore_bounding(struct injector *in, int nr_threads, const struct snapshot *s, struct cryo_error *e);
/* The parent-death signal to set last of all: the recorded one. */
int process_recorded_pdeathsig(const struct snapshot *s);

#endif
