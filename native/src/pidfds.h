/*
 * pidfds (pidfd_open, clone3 CLONE_PIDFD): a descriptor naming a process.
 * One naming a process of the tree (a zombie included) is opened again on
 * that process once the whole tree exists; one naming a process outside
 * the tree is refused (after a restart the PID could name another process,
 * or none).
 */
#ifndef CRYO_PIDFDS_H
#define CRYO_PIDFDS_H

#include "inject.h"
#include "snapshot.h"

/* Where a process of the image is now: as the tree's own processes see it
 * (pidfd_open, their PID namespace) and in /proc (the node's). */
struct pid_now {
	pid_t image;
	pid_t in_tree;
	pid_t in_proc;
};

/* The kind's capture, link and validation: pidfd_fd_ops (fdtypes.h). */
/* Through the injector of process s, every process of the tree existing
 * (now has nr_now entries): each pidfd of s at its number. */
int pidfds_restore(struct injector *in, const struct snapshot *s, const struct pid_now *now, int nr_now,
		   struct cryo_error *e);
/* The PID of image process pid now, or 0. */
const struct pid_now *pid_now_find(const struct pid_now *now, int nr_now, pid_t pid);

#endif
