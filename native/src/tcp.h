/*
 * TCP within the tree: a listening socket comes back listening on its
 * address; a connection whose two ends are both in the tree (loopback)
 * comes back connected, with its sequence numbers, window, options and the
 * data in both queues, through the kernel's TCP_REPAIR (needs
 * CAP_NET_ADMIN).  A connection to the outside comes back unconnected
 * (sockets.c).
 */
#ifndef CRYO_TCP_H
#define CRYO_TCP_H

#include <sys/types.h>
#include "snapshot.h"

/* fd f of pid is a socket not paired with another Unix socket of the tree:
 * record it if it is a listening TCP socket or a TCP connection to another
 * socket of the tree (0); 1 if it is anything else; -1 on failure. */
int tcp_link(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e);
int tcp_pool_fd(const struct tree *t, int first, uint64_t ino);
/* Just before the checkpoint's SIGKILL: every connection of the tree goes
 * into repair mode, so its close sends nothing (no FIN, no TIME_WAIT to
 * keep its listener's port from being bound again at the restart). */
void tcp_quiet_before_kill(const struct tree *t);
/* In the restorer: every TCP socket of the tree at first, first + 1, ... */
int tcp_create_pool(const struct tree *t, int first, struct cryo_error *e);

#endif
