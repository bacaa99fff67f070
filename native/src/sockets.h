/*
 * Connected Unix sockets between processes of the tree (socketpair(), or
 * both ends of a connection inside the tree), with the messages each end
 * had queued to read.  Found with sock_diag; the queues are read with
 * MSG_PEEK on a copy of the descriptor taken with pidfd_getfd, so nothing is
 * consumed.  At a restart the root recreates each pair in the pool
 * (pipes.h), sending every queued message again.
 */
#ifndef CRYO_SOCKETS_H
#define CRYO_SOCKETS_H

#include <sys/types.h>
#include "inject.h"
#include "snapshot.h"

/* Is this /proc/PID/fd link a socket ("socket:[ino]")? */
int sockets_parse_link(const char *link, uint64_t *ino);
/* fd f of process pid is a socket: if its peer is a socket of the tree too,
 * record the pair (once) with both queues and return 0; 1 if it leads out
 * of the tree; -1 on failure. */
int sockets_link(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e);
/* An unconnected Unix socket of fd record f bound to a name (listening or
 * not) becomes CRYO_FD_UNIX_BOUND, or is refused (connections waiting to be
 * accepted, datagrams queued, its file gone); 1: not such a socket. */
int sockets_capture_bound(pid_t pid, struct fd_rec *f, struct cryo_error *e);
/* fd f of pid is a socket leading out of the tree: record its domain and
 * type, so it comes back unconnected. */
int sockets_capture_outside(pid_t pid, struct fd_rec *f, struct cryo_error *e);
/* The pool descriptor of socket ino, or -1. */
int sockets_pool_fd(const struct tree *t, int first, uint64_t ino);
/* In the root, on itself: every pair at first, first + 1, ... with its queues. */
int sockets_create_pool(const struct tree *t, int first, int above, struct cryo_error *e);

#endif
