/*
 * Sockets made again by their own calls (CRYO_FD_NET_SOCKET): UDP,
 * UDP-Lite, ICMP "ping" and raw sockets, IPv4 and IPv6, bound and connected
 * or not; TCP sockets never connected (fresh, or bound); netlink sockets
 * (protocol, port id, groups); unconnected Unix sockets without a name and
 * Unix datagram sockets connected to a named one.  At a restart: socket(),
 * the options, bind, connect, by calls injected into the restored process.
 *
 * Socket options of every socket Cryo restores (these, bound Unix sockets,
 * the pool's TCP sockets and socket pairs) are those getsockopt reports that
 * differ from a fresh socket's, and a classic BPF filter; they are encoded
 * as format.h's struct cryo_sockopt list.
 *
 * The kind is net_socket_fd_ops (fdtypes.h), the pool's options the
 * resource sockopts_resource (section SOCKOPTS, resources.h).
 *
 * Any other socket (a TCP connection to a process outside the checkpoint,
 * packet sockets, an eBPF filter, data queued ...) is refused at checkpoint
 * time with a one-line error naming the process, the fd and why.
 */
#ifndef CRYO_INET_H
#define CRYO_INET_H

#include <stddef.h>
#include <sys/types.h>
#include "image.h"
#include "rexec.h"
#include "snapshot.h"

/* Socket fd f of process k that no other socket kind took: made a
 * CRYO_FD_NET_SOCKET (0), or left to come back unconnected (a stream
 * connection to the outside, as BLCR: CRYO_FD_CLOSED_SOCKET, 0), or refused (-1). */
int inet_capture(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e);
/* Append the options of socket fd f of pid to f's detail (after its fixed part). */
int inet_capture_options(pid_t pid, struct fd_rec *f, struct cryo_error *e);

/* Options encoded as format.h says, of socket sk (the engine's copy); *out
 * is malloc'd.  connected_tcp: leave out what the connection negotiated
 * (TCP_MAXSEG, TCP_WINDOW_CLAMP).  what names the socket in errors. */
int inet_read_options(int sk, pid_t pid, int fd, int connected_tcp, char **out, size_t *len, struct cryo_error *e);
/* Check an encoded option list: known options only, each in bounds. */
int inet_check_options(const char *opts, size_t len, pid_t pid, int fd, struct cryo_error *e);
/* Set the options (already checked) on socket fd, through x (the target's
 * or, with rexec_self, the caller's own fd).  after_bind: the second pass
 * (netlink groups, SO_REUSEADDR as recorded), else the first (before bind:
 * SO_REUSEPORT, IPV6_V6ONLY, SO_BINDTODEVICE ...). */
int inet_apply_options(struct rexec *x, int fd, const char *opts, size_t len, int after_bind, pid_t pid, int shown_fd,
		       struct cryo_error *e);

/* The options of a socket of the pool (sk: the engine's copy of fd of pid),
 * once per inode, for section SOCKOPTS; backlog: a listener's. */
int inet_capture_pool(struct tree *t, int sk, pid_t pid, int fd, uint64_t ino, uint32_t backlog, int connected_tcp,
		      struct cryo_error *e);
/* The recorded options of pool socket ino, or NULL. */
const struct pool_sockopts_rec *inet_pool_options(const struct tree *t, uint64_t ino);
/* In the restorer, on its own socket fd: pool socket ino's options (first or second pass). */
int inet_apply_pool_options(const struct tree *t, int fd, uint64_t ino, int after_bind, struct cryo_error *e);

#endif
