/*
 * What the three programs share: cryo-engine (the helper the Java core
 * runs), and BLCR's cr_checkpoint and cr_restart, which are native so that
 * a checkpoint or restart costs no JVM start.  Each program only parses its
 * own command line into one of these requests.
 */
#ifndef CRYO_TOOLS_COMMANDS_H
#define CRYO_TOOLS_COMMANDS_H

#include <sys/types.h>
#include "cryo/cryo.h"

/* ---- checkpoint (checkpoint_command.c) ---- */

struct checkpoint_request {
	struct cryo_checkpoint_opts o;
	const char *prog;           /* messages start "PROG: " */
	int verbose;                /* a line with size and timings (on stderr if the context goes to stdout) */
	int machine;                /* one tab-separated line for the Java core (api/HelperResult.java) */
	int quiet;                  /* no message on stderr: the exit status says it all */
	unsigned time_limit;        /* seconds, 0 none: past it the checkpoint is abandoned (BLCR's -t) */
	int out_fd;                 /* >= 0: the context goes to this descriptor (BLCR's -F), not to o.path */
	int failed_status;          /* exit status of a failed checkpoint */
	int leaving_node;           /* for a requeue or migration: a node-local MPI session directory
				     * is refused (nodelocal.h) */
};

/* Runs the checkpoint as a front and a tracer (see checkpoint_command.c)
 * and returns the exit status. */
int checkpoint_command(struct checkpoint_request *r);

/* ---- restore (restore_command.c) ---- */

/* BLCR's --run-on-* hooks: which kind of outcome runs which command. */
enum restore_hook {
	HOOK_SUCCESS,               /* the restored processes run */
	HOOK_FAIL_ARGS,             /* bad arguments, the context file missing or unreadable */
	HOOK_FAIL_TEMP,             /* may work later: a PID in use, a resource busy */
	HOOK_FAIL_ENV,              /* something the processes need is missing or inaccessible */
	HOOK_FAIL_PERM,             /* will never work: a corrupt context file, another kernel */
	NR_RESTORE_HOOKS
};

struct restore_request {
	struct cryo_restore_opts o;
	const char *prog;
	int detach;                 /* print the root's PID and return once it runs; a keeper process
				     * stays the job's parent and records how it ended */
	int status_fd;              /* -1, or where the keeper writes "exit N" / "signal N" when the job ends */
	int quiet;
	int omit;                   /* enum cryo_omit_mode: BLCR's --omit-*, marked once the job runs */
	const char *hooks[NR_RESTORE_HOOKS];
};

/* Restores, stays the restored processes' parent and exits as the first
 * root did (its status, or killed by its signal); CRYO_RESTORE_FAILED or a
 * hook's status when the restore failed. */
int restore_command(struct restore_request *r);

/* A usage error as cr_restart's --run-on-fail-args sees it. */
int restore_usage_failure(const struct restore_request *r, const char *msg);

/* ---- shared ---- */

/* One line about a checkpoint or restart of pid (file: its context file) to syslog and
 * log.file (log_line.c), naming the job; never on the terminal. */
void log_event(const char *prog, int failed, pid_t pid, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The progress line on stderr, if it is a terminal and not quiet (progress_line.c). */
void progress_line_install(const char *prog, int quiet);

/* Ends this process the way status says a child ended: its exit status, or
 * killed by the same signal (BLCR's cr_restart; shells rely on it). */
int exit_like(int status);

/* "15", "TERM", "SIGTERM" -> 15; -1 if it is none of those (1..64). */
int parse_signal(const char *text);

int parse_pid(const char *s, pid_t *pid);

/* At start of the engine's executables: the restart may hash a mapped context
 * file in place, a SIGBUS of a file that shrinks failing it (mapguard.h). */
void guard_mapped_reads(void);

#endif
