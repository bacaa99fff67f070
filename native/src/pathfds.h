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
/* Fds of process s (through its injector; scratch: 2 pages of its memory)
 * that are the very open file of a fd of its parent (parent_fd >= 0: shared
 * by fork), taken from the parent, parent_now (as the engine sees it), once
 * the parent's are made: before pidfds_restore and pathfds_restore, which
 * leave them. */
int pathfds_take_from_parent(struct injector *in, uint64_t scratch, const struct snapshot *s, pid_t parent_now,
			     struct cryo_error *e);
/* A record of a late kind: parent_fd is -1, or a fd of the same kind its parent holds. */
int pathfds_parent_fd_valid(const struct tree *t, const struct snapshot *s, const struct fd_rec *f);
/* Kinds made once the tree exists (fd_ops.after_tree), which the late pass of restore.c restores. */
int pathfds_is_late_kind(uint32_t kind);
/* A record of those kinds read from a file: its detail is whole (a PID, a path below /proc/PID without ".."). */
int pathfds_detail_valid(const struct fd_rec *f);

#endif
