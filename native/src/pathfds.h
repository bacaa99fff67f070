/*
 * Descriptors reopened by a path once the whole tree exists:
 *  - /proc files of a process of the tree (/proc/PID/status, /proc/PID as a
 *    directory, /proc/PID/ns/net ...), reopened under the PID the process
 *    has now; a /proc file of a process outside the tree is refused (after
 *    a restart the PID could name another process);
 *  - O_PATH descriptors, of files, directories and symbolic links
 *    (O_PATH|O_NOFOLLOW), reopened by their path as the same kind of file.
 */
#ifndef CRYO_PATHFDS_H
#define CRYO_PATHFDS_H

#include <sys/stat.h>
#include "inject.h"
#include "memory.h"
#include "pidfds.h"
#include "snapshot.h"

/* Through the injector of process s (scratch: 2 pages of its memory),
 * every process of the tree existing: each such descriptor at its number. */
int pathfds_restore(struct injector *in, uint64_t scratch, const struct snapshot *s, const struct pid_now *now,
		    int nr_now, relocate_fn relocate, struct cryo_error *e);
/* Kinds made once the tree exists (fd_ops.after_tree), which the late pass of restore.c restores. */
int pathfds_is_late_kind(uint32_t kind);
/* A record of those kinds read from a file: its detail is whole (a PID, a path below /proc/PID without ".."). */
int pathfds_detail_valid(const struct fd_rec *f);

#endif
