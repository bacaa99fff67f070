/*
 * PID namespaces for jobs: cr_run --pid-ns (the job's own, checkpointed with
 * it), and the user and PID namespace an unprivileged restart brings the
 * job back in, under a small init of Cryo's, so that it keeps its PIDs.
 */
#ifndef CRYO_PIDNS_H
#define CRYO_PIDNS_H

#include <sys/types.h>
#include "cryo/cryo.h"

/* Map the caller's own uid and gid 1:1 into the new user namespace of its
 * child pid (setgroups denied, as an unprivileged writer must). */
int userns_map_own_ids(pid_t pid, struct cryo_error *e);

/* Does the caller hold CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN, so that
 * clone3 may choose PIDs in its own PID namespace? */
int may_choose_pids(void);

/* Cryo's init, PID 1 of a new user and PID namespace, a child of the caller.
 * It starts the roots of the job when asked (each by start_root, which never
 * returns), then reaps, and ends when they have all ended, handing the first
 * root's wait status back.  Until job_ns_commit it dies with the caller
 * (parent-death signal SIGKILL, and the end of its socket), and with it
 * every process of the namespace. */
struct job_ns {
	pid_t init;                 /* as the caller sees it; 0: no namespace */
	int sock;                   /* the caller's end of the init's socket */
};
typedef void (*root_starter)(int k, int status_fd, void *arg);

int job_ns_start(struct job_ns *ns, root_starter start_root, void *arg, struct cryo_error *e);
/* Start root k with PID want inside the namespace; *pid: its PID outside. */
int job_ns_start_root(struct job_ns *ns, int k, pid_t want, pid_t *pid, struct cryo_error *e);
/* Every root is born: the init lets go of the descriptors they inherited. */
int job_ns_roots_started(struct job_ns *ns, struct cryo_error *e);
/* The job is released: from now on the init outlives the caller, so that
 * the job always has a parent that waits for it. */
int job_ns_commit(struct job_ns *ns, struct cryo_error *e);
/* Kill the init, and with it the namespace. */
void job_ns_kill(struct job_ns *ns);

#endif
