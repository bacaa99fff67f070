/*
 * Pipes between processes of a tree, with the data in their buffers, and
 * the pool.  At a restart the root creates every pipe and every shared
 * memory object of the tree (as a memfd) at fixed descriptor numbers above
 * any the image uses: the pool.  Every process inherits the pool by fork,
 * takes the pipe ends it had, maps the shared memory it had, and closes the
 * pool once its own children exist.
 */
#ifndef CRYO_PIPES_H
#define CRYO_PIPES_H

#include <sys/types.h>
#include "snapshot.h"
#include "memory.h"
#include "resources.h"

/* Is this /proc/PID/fd link a pipe ("pipe:[ino]")?  *ino gets its inode. */
int pipes_parse_link(const char *link, uint64_t *ino);
/* Copy the data buffered in the pipe behind /proc/pid/fd/fd into t->pipes
 * (once per pipe), without consuming it; fifo_path: a named pipe's path, or NULL. */
int pipes_capture(struct tree *t, pid_t pid, int fd, uint64_t ino, const char *fifo_path, struct cryo_error *e);
/* Is the other end of the pipe behind fd of pid closed in every process (no
 * writer left for a read end, no reader for a write end)?  1 yes, 0 no, -1 error. */
int pipes_other_end_closed(pid_t pid, int fd, int read_end, struct cryo_error *e);

/* Which open file of its pipe fd record f of process k is (every earlier
 * record of the tree known): the pool's, or one of its own (f->detail); a
 * later sharer of an open file of its own is refused. */
int pipes_note_open_file(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e);
/* Does pipe fd record f come back as an open file of its own? */
int pipes_own_open_file(const struct fd_rec *f);

/* Where the pool starts: above every descriptor of every process of t. */
int pipes_pool_base(const struct tree *t);
/* The pool descriptor that holds fd record f's end of its pipe. */
int pipes_pool_fd(const struct tree *t, int pool_base, const struct cryo_fd *f);
/* The pool descriptor of shared memory object (dev, ino), or -1. */
int shmem_pool_fd(const struct tree *t, int pool_base, uint64_t dev, uint64_t ino);

#endif
