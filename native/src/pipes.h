/*
 * Pipes between processes of a tree, with the data in their buffers.  At a
 * restart the root creates every pipe of the tree (the "pool", at fixed
 * descriptor numbers above any the image uses); every process inherits the
 * pool by fork, takes the ends it had, and closes the pool once its own
 * children exist.
 */
#ifndef CRYO_PIPES_H
#define CRYO_PIPES_H

#include <sys/types.h>
#include "snapshot.h"

/* Is this /proc/PID/fd link a pipe ("pipe:[ino]")?  *ino gets its inode. */
int pipes_parse_link(const char *link, uint64_t *ino);
/* Copy the data buffered in the pipe behind /proc/pid/fd/fd into t->pipes
 * (once per pipe), without consuming it. */
int pipes_capture(struct tree *t, pid_t pid, int fd, uint64_t ino, struct cryo_error *e);

/* Where the pool starts: above every descriptor of every process of t. */
int pipes_pool_base(const struct tree *t);
/* The pool descriptor that holds fd record f's end of its pipe. */
int pipes_pool_fd(const struct tree *t, int pool_base, const struct cryo_fd *f);
/* In the root, on itself: create every pipe at its pool descriptors and put
 * its data back in. */
int pipes_create_pool(const struct tree *t, int pool_base, struct cryo_error *e);

#endif
