#include "sockets.h"
#include "fdtypes.h"
#include "tcp.h"
#include "resources.h"
#include "inet.h"
#include "error.h"
#include "memory.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <limits.h>
#include <stddef.h>
#include <netinet/tcp.h>
#include <sys/syscall.h>
#include <unistd.h>

int sockets_parse_link(const char *link, uint64_t *ino)
{
	unsigned long long n;
	char end;
	if (sscanf(link, "socket:[%llu%c", &n, &end) != 2 || end != ']')
		return 0;
	*ino = n;
	return 1;
}

struct unix_info {
	uint32_t type, peer, shutdown, state, rqueue, wqueue, vfs_ino, vfs_dev;
	int found, name_len;
	char name[108];
};

/* Ask sock_diag about one Unix socket: its type and its peer. */
static int describe_unix_socket(uint64_t ino, struct unix_info *info, struct cryo_error *e)
{
	memset(info, 0, sizeof(*info));
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return cryo_fail_errno(e, 0, "sockets", "socket(NETLINK_SOCK_DIAG)", "cannot ask the kernel about sockets");
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = (uint32_t)ino,
			 .udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN | UDIAG_SHOW_VFS, .udiag_cookie = { ~0u, ~0u } },
	};
	char buf[8192];
	ssize_t n;
	if (send(nl, &q, sizeof(q), 0) < 0 || (n = recv(nl, buf, sizeof(buf), 0)) < 0) {
		int err = errno;
		close(nl);
		return cryo_fail(e, 0, "sockets", "sock_diag", err, "cannot ask the kernel about socket %llu", (unsigned long long)ino);
	}
	close(nl);
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			break;                     /* NLMSG_ERROR: not a Unix socket */
		struct unix_diag_msg *m = NLMSG_DATA(h);
		info->type = m->udiag_type;
		info->state = m->udiag_state;
		info->found = 1;
		int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == UNIX_DIAG_PEER)
				info->peer = *(uint32_t *)RTA_DATA(a);
			else if (a->rta_type == UNIX_DIAG_SHUTDOWN)
				info->shutdown = *(uint8_t *)RTA_DATA(a);
			else if (a->rta_type == UNIX_DIAG_NAME && RTA_PAYLOAD(a) <= sizeof(info->name)) {
				info->name_len = (int)RTA_PAYLOAD(a);
				memcpy(info->name, RTA_DATA(a), (size_t)info->name_len);
			} else if (a->rta_type == UNIX_DIAG_RQLEN) {
				struct unix_diag_rqlen *q = RTA_DATA(a);
				info->rqueue = q->udiag_rqueue;
				info->wqueue = q->udiag_wqueue;
			} else if (a->rta_type == UNIX_DIAG_VFS) {
				struct unix_diag_vfs *v = RTA_DATA(a);
				info->vfs_ino = v->udiag_vfs_ino;
				info->vfs_dev = v->udiag_vfs_dev;
			}
	}
	return 0;
}

static int known(const struct tree *t, uint64_t ino)
{
	for (int i = 0; i < t->nr_socketpairs; i++)
		if (t->socketpairs[i].r.ino[0] == ino || t->socketpairs[i].r.ino[1] == ino)
			return 1;
	return 0;
}

static int tree_has_socket(const struct tree *t, uint64_t ino, pid_t *pid, int *fd)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			if (f->r.kind == CRYO_FD_SOCKET && f->r.file.ino == ino) {
				*pid = t->procs[k].proc.pid;
				*fd = f->r.fd;
				return 1;
			}
		}
	return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		while (c < *len + n)
			c *= 2;
		char *g = realloc(*buf, c);
		if (!g)
			return -1;
		*buf = g;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* A peeked message carrying descriptors (or whose control data did not fit):
 * the copies the peek gave us are closed. */
static int passes_descriptors(struct msghdr *mh)
{
	int rights = (mh->msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
				close(fds[i]);
			rights = 1;
		}
	return rights;
}

/* What socket fd of pid has queued to read, message by message, left in place:
 * MSG_PEEK walks the queue with SO_PEEK_OFF, put back after every message:
 * an engine that dies in between leaves the socket as it found it. */
static int peek_queue(pid_t pid, int fd, uint32_t type, char **out, size_t *out_len, struct cryo_error *e)
{
	int sk = proc_dup_fd(pid, fd, e);
	if (sk < 0)
		return -1;
	int old_off = -1, off = 0;
	socklen_t sl = sizeof(old_off);
	getsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old_off, &sl);
	/* a seqpacket socket shut down for reading reads 0 (EOF) forever once
	 * its queue is empty: SIOCINQ (the bytes queued) says where that is */
	int inq = 0;
	if (type == SOCK_SEQPACKET && ioctl(sk, SIOCINQ, &inq) < 0) {
		int err = errno;
		close(sk);
		return cryo_fail(e, pid, "sockets", "ioctl(SIOCINQ)", err, "cannot measure the queue of socket fd %d of process %d", fd, pid);
	}
	static char msg[256 * 1024];
	size_t cap = 0, empty = 0;
	*out = NULL;
	*out_len = 0;
	int rc = 0;
	for (;;) {
		if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0) {
			rc = cryo_fail_errno(e, pid, "sockets", "setsockopt(SO_PEEK_OFF)", "cannot walk the queue of socket fd %d of process %d", fd, pid);
			break;
		}
		union { char buf[CMSG_SPACE(sizeof(int) * 64)]; struct cmsghdr align; } control;
		struct iovec iov = { msg, sizeof(msg) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf) };
		ssize_t n = recvmsg(sk, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		int err = errno;
		setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old_off, sizeof(old_off));
		errno = err;
		if (n >= 0 && passes_descriptors(&mh)) {
			rc = cryo_fail(e, pid, "sockets", "recvmsg(MSG_PEEK)", ENOTSUP,
				       "socket fd %d of process %d has descriptors in flight (SCM_RIGHTS) queued: cannot be restored",
				       fd, pid);
			break;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			rc = cryo_fail_errno(e, pid, "sockets", "recv(MSG_PEEK)", "cannot read the queue of socket fd %d of process %d", fd, pid);
			break;
		}
		if (n == 0 && (type == SOCK_STREAM || (type == SOCK_SEQPACKET && off >= inq)))
			break;
		if (n == 0 && ++empty > 4096) {
			rc = cryo_fail(e, pid, "sockets", "recv(MSG_PEEK)", ENOTSUP,
				       "socket fd %d of process %d: its queue does not end (empty messages): cannot save it", fd, pid);
			break;
		}
		uint32_t len = (uint32_t)n;
		if (append(out, out_len, &cap, &len, sizeof(len)) || append(out, out_len, &cap, msg, (size_t)n)) {
			rc = cryo_fail(e, pid, "sockets", "malloc", ENOMEM, "out of memory");
			break;
		}
		off += (int)n;
		if (type == SOCK_STREAM && (size_t)n < sizeof(msg))
			break;
	}
	close(sk);
	return rc;
}

static int capture_pair_options(struct tree *t, pid_t pid, int fd, uint64_t ino, struct cryo_error *e)
{
	int sk = proc_dup_fd(pid, fd, e);
	if (sk < 0)
		return -1;
	int rc = inet_capture_pool(t, sk, pid, fd, ino, 0, 0, e);
	close(sk);
	return rc;
}

int sockets_link(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	uint64_t ino = f->r.file.ino;
	if (known(t, ino))
		return 0;
	struct unix_info info;
	pid_t peer_pid;
	int peer_fd;
	if (describe_unix_socket(ino, &info, e))
		return -1;
	if (!info.found || !info.peer || !tree_has_socket(t, info.peer, &peer_pid, &peer_fd))
		return 1;
	if (info.type != SOCK_STREAM && info.type != SOCK_DGRAM && info.type != SOCK_SEQPACKET)
		return cryo_fail(e, pid, "sockets", "", ENOTSUP, "fd %d of process %d: Unix socket of type %u", f->r.fd, pid, info.type);
	struct unix_info peer;
	if (describe_unix_socket(info.peer, &peer, e))
		return -1;
	if (info.type == SOCK_DGRAM && peer.peer != ino)
		return 1;       /* connected to a named socket that is not connected back: inet.c */
	struct socketpair_rec p = { .r = { .type = info.type, .ino = { ino, info.peer },
					   .shutdown = { info.shutdown, peer.shutdown } } };
	size_t la = 0, lb = 0;
	if (peek_queue(pid, f->r.fd, info.type, &p.queued[0], &la, e) ||
	    peek_queue(peer_pid, peer_fd, info.type, &p.queued[1], &lb, e) ||
	    capture_pair_options(t, pid, f->r.fd, ino, e) || capture_pair_options(t, peer_pid, peer_fd, info.peer, e)) {
		free(p.queued[0]);
		free(p.queued[1]);
		return -1;
	}
	p.r.queued_len[0] = la;
	p.r.queued_len[1] = lb;
	struct socketpair_rec *grown = realloc(t->socketpairs, (size_t)(t->nr_socketpairs + 1) * sizeof(*grown));
	if (!grown) {
		free(p.queued[0]);
		free(p.queued[1]);
		return cryo_fail(e, pid, "sockets", "malloc", ENOMEM, "out of memory");
	}
	t->socketpairs = grown;
	t->socketpairs[t->nr_socketpairs++] = p;
	return 0;
}

/* A Unix socket's name for messages: the path, or @ and the abstract name. */
static const char *printable_name(const char *name, int len, char *out, size_t size)
{
	int abstract = len > 0 && name[0] == 0;
	snprintf(out, size, "%s%.*s", abstract ? "@" : "", len - abstract, name + abstract);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return out;
}

/* The socket file of a path-bound socket must still be the one it was bound
 * to (a relative name is the process's cwd's: the cwd it is restored in), or
 * be gone (1: the socket is bound again and its file removed again); another
 * file there is refused. */
static int check_socket_file(pid_t pid, int fd, const struct unix_info *info, const char *shown, struct cryo_error *e)
{
	char path[PATH_MAX + 128];
	struct stat st;
	if (info->name[0] == '/')
		snprintf(path, sizeof(path), "%.*s", info->name_len, info->name);
	else
		snprintf(path, sizeof(path), "/proc/%d/cwd/%.*s", pid, info->name_len, info->name);
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 1;
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_ino != info->vfs_ino)
		return cryo_fail(e, pid, "sockets", "stat", ENOTSUP,
				 "fd %d of process %d is a Unix socket bound to %s, whose file was replaced: cannot bind it again",
				 fd, pid, shown);
	return 0;
}

static int capture_datagrams(pid_t pid, int fd, const char *shown, char **out, size_t *out_len, struct cryo_error *e);

int sockets_capture_bound(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	struct unix_info info;
	char shown[160];
	if (describe_unix_socket(f->r.file.ino, &info, e))
		return -1;
	/* a datagram socket another connected to is ESTABLISHED too, without a peer of its own */
	if (!info.found || info.name_len <= 0 || (info.state == TCP_ESTABLISHED && info.peer))
		return 1;
	printable_name(info.name, info.name_len, shown, sizeof(shown));
	int listening = info.state == TCP_LISTEN;
	if (listening && info.rqueue)
		return cryo_fail(e, pid, "sockets", "", ENOTSUP,
				 "fd %d of process %d is a Unix socket listening on %s with %u connections not yet accepted: cannot save them",
				 f->r.fd, pid, shown, info.rqueue);
	if (!listening && info.rqueue && info.type != SOCK_DGRAM)
		return cryo_fail(e, pid, "sockets", "", ENOTSUP,
				 "fd %d of process %d is a Unix socket bound to %s with data queued: cannot save it",
				 f->r.fd, pid, shown);
	int unlinked = info.name[0] ? check_socket_file(pid, f->r.fd, &info, shown, e) : 0;
	if (unlinked < 0)
		return -1;
	char *queued = NULL;
	size_t queued_len = 0;
	if (!listening && info.rqueue && capture_datagrams(pid, f->r.fd, shown, &queued, &queued_len, e))
		return -1;
	struct cryo_fd_unix_bound d = { .type = (int32_t)info.type, .listening = (uint32_t)listening,
					.flags = (unlinked ? CRYO_UNIX_BOUND_UNLINKED : 0) | (queued_len ? CRYO_UNIX_BOUND_QUEUED : 0),
					.backlog = listening ? info.wqueue : 0, .name_len = (uint32_t)info.name_len };
	memcpy(d.name, info.name, (size_t)info.name_len);
	size_t span = queued_len ? 8 + ((queued_len + 7) & ~(size_t)7) : 0;
	free(f->detail);
	if (!(f->detail = calloc(1, sizeof(d) + span))) {
		free(queued);
		return cryo_fail(e, pid, "sockets", "malloc", ENOMEM, "out of memory");
	}
	memcpy(f->detail, &d, sizeof(d));
	if (queued_len) {
		uint64_t n = queued_len;
		memcpy(f->detail + sizeof(d), &n, sizeof(n));
		memcpy(f->detail + sizeof(d) + sizeof(n), queued, queued_len);
	}
	free(queued);
	f->detail_len = (uint32_t)(sizeof(d) + span);
	f->r.kind = CRYO_FD_UNIX_BOUND;
	return 0;
}

/* The messages a bound datagram socket has queued to read, left in place;
 * each must fit the scratch memory it is sent again from. */
static int capture_datagrams(pid_t pid, int fd, const char *shown, char **out, size_t *out_len, struct cryo_error *e)
{
	if (peek_queue(pid, fd, SOCK_DGRAM, out, out_len, e))
		return -1;
	for (size_t at = 0; at + 4 <= *out_len;) {
		uint32_t n;
		memcpy(&n, *out + at, 4);
		if (n > CRYO_UNIX_BOUND_MAX_MSG) {
			free(*out);
			*out = NULL;
			return cryo_fail(e, pid, "sockets", "", ENOTSUP,
					 "fd %d of process %d is a Unix datagram socket bound to %s with a message of %u bytes queued "
					 "(at most %u can be saved)", fd, pid, shown, n, CRYO_UNIX_BOUND_MAX_MSG);
		}
		at += 4 + n;
	}
	return 0;
}

/* Bytes of a bound socket's detail after its struct taken by its queued
 * messages (where its options start); -1 if the detail is unsound. */
static long bound_queue_span(const struct fd_rec *f, const struct cryo_fd_unix_bound *d)
{
	if (!(d->flags & CRYO_UNIX_BOUND_QUEUED))
		return 0;
	uint64_t n;
	size_t room = f->detail_len - sizeof(*d);
	if (room < sizeof(n))
		return -1;
	memcpy(&n, f->detail + sizeof(*d), sizeof(n));
	if (n > room - sizeof(n) || ((n + 7) & ~7ull) > room - sizeof(n))
		return -1;
	const char *q = f->detail + sizeof(*d) + sizeof(n);
	for (uint64_t at = 0; at < n;) {
		uint32_t len;
		if (n - at < 4)
			return -1;
		memcpy(&len, q + at, 4);
		if (len > CRYO_UNIX_BOUND_MAX_MSG || len > n - at - 4)
			return -1;
		at += 4 + len;
	}
	return (long)(sizeof(n) + ((n + 7) & ~7ull));
}

/* The messages sent again to the socket just bound, from an unnamed one of
 * the process's (the sender's name is not kept: recvfrom sees none). */
static int requeue_datagrams(struct rexec *x, const struct fd_rec *f, const struct cryo_fd_unix_bound *d,
			     const struct sockaddr_un *a, struct cryo_error *e)
{
	uint64_t n, addr, msg;
	long tmp;
	memcpy(&n, f->detail + sizeof(*d), sizeof(n));
	const char *q = f->detail + sizeof(*d) + sizeof(n);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + d->name_len);
	if (rexec_call(x, "sockets", "socket", SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0, &tmp, e,
		       "cannot make a socket to requeue the messages of fd %d", f->r.fd) ||
	    rexec_put(x, 0, a, sizeof(*a), &addr, e))
		return -1;
	for (uint64_t at = 0; at < n;) {
		uint32_t len;
		memcpy(&len, q + at, 4);
		if (rexec_put(x, 128, q + at + 4, len, &msg, e) ||
		    rexec_call(x, "sockets", "sendto", SYS_sendto, tmp, (long)msg, len, MSG_DONTWAIT, (long)addr, alen, NULL, e,
			       "cannot put a queued message of %u bytes back into fd %d", len, f->r.fd))
			return -1;
		at += 4 + len;
	}
	return rexec_call(x, "sockets", "close", SYS_close, tmp, 0, 0, 0, 0, 0, NULL, e, "cannot close fd %ld", tmp);
}

int sockets_capture_outside(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_socket d = {0};
	int sk = proc_dup_fd(pid, f->r.fd, e);
	if (sk < 0)
		return -1;
	socklen_t l = sizeof(int);
	int ok = getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &d.domain, &l) == 0 &&
		 (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_TYPE, &d.type, &l) == 0);
	close(sk);
	if (!ok)
		return cryo_fail_errno(e, pid, "sockets", "getsockopt", "cannot read socket fd %d of process %d", f->r.fd, pid);
	free(f->detail);
	f->detail = malloc(sizeof(d));
	if (!f->detail)
		return cryo_fail(e, pid, "sockets", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	f->r.kind = CRYO_FD_CLOSED_SOCKET;
	return 0;
}

static int remote_sock_call(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long *ret,
			    struct cryo_error *e)
{
	return injector_call(in, "sockets", what, "bind a Unix socket of process", nr, a1, a2, a3, 0, 0, 0, ret, e);
}

/* A stale socket file left at the path by the checkpointed process is
 * removed (by the process itself, with its own rights); anything else
 * there makes bind fail, as it should. */
static int remove_stale_socket_file(struct injector *in, uint64_t scratch, const struct cryo_fd_unix_bound *d,
				    struct cryo_error *e)
{
	char path[PATH_MAX + 128], name[sizeof(d->name) + 1];
	struct stat st;
	long r;
	snprintf(name, sizeof(name), "%.*s", (int)d->name_len, d->name);
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/proc/%d/cwd/%s", in->pid, name);
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return memory_poke(in->pid, scratch, name, strlen(name) + 1, e) ||
	       remote_sock_call(in, "unlink", SYS_unlink, (long)scratch, 0, 0, &r, e);
}

/* The socket was bound to a file the program removed: the bind made it
 * again, and it goes again (relative to the restored process's cwd). */
static int remove_socket_file_again(struct injector *in, uint64_t scratch, const struct cryo_fd_unix_bound *d,
				    struct cryo_error *e)
{
	char name[sizeof(d->name) + 1];
	long r;
	snprintf(name, sizeof(name), "%.*s", (int)d->name_len, d->name);
	return memory_poke(in->pid, scratch, name, strlen(name) + 1, e) ||
	       remote_sock_call(in, "unlink", SYS_unlink, (long)scratch, 0, 0, &r, e);
}

static int restore_bound(struct rexec *x, struct injector *in, uint64_t scratch, const struct snapshot *s,
			 const struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_unix_bound d;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char shown[160];
	long fd, r;
	memcpy(&d, f->detail, sizeof(d));
	if (d.name_len == 0 || d.name_len > sizeof(a.sun_path))
		return cryo_fail(e, in->pid, "sockets", "", EINVAL, "fd %d: bad Unix socket name", f->r.fd);
	printable_name(d.name, (int)d.name_len, shown, sizeof(shown));
	memcpy(a.sun_path, d.name, d.name_len);
	int flags = (f->r.fd_flags & FD_CLOEXEC ? SOCK_CLOEXEC : 0) | (f->r.open_flags & O_NONBLOCK ? SOCK_NONBLOCK : 0);
	long span = bound_queue_span(f, &d);
	if (span < 0)
		return cryo_fail(e, in->pid, "context file", "", EINVAL, "context file is corrupt: socket fd %d", f->r.fd);
	const char *opts = f->detail + sizeof(d) + span;
	size_t opts_len = f->detail_len - sizeof(d) - (size_t)span;
	if (inet_check_options(opts, opts_len, in->pid, f->r.fd, e) ||
	    remote_sock_call(in, "socket", SYS_socket, AF_UNIX, d.type | flags, 0, &fd, e) ||
	    inet_apply_options(x, (int)fd, opts, opts_len, 0, s->proc.pid, f->r.fd, e))
		return -1;
	if ((d.name[0] && !(d.flags & CRYO_UNIX_BOUND_UNLINKED) && remove_stale_socket_file(in, scratch, &d, e)) ||
	    memory_poke(in->pid, scratch, &a, sizeof(a), e) ||
	    injector_syscall(in, SYS_bind, fd, (long)scratch, (long)(offsetof(struct sockaddr_un, sun_path) + d.name_len), 0, 0, 0, &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "sockets", "bind", (int)-r, "cannot bind fd %d of process %d to %s again",
				 f->r.fd, (int)s->proc.pid, shown);
	if (d.listening && injector_syscall(in, SYS_listen, fd, (long)d.backlog, 0, 0, 0, 0, &r, e))
		return -1;
	if (d.listening && r < 0)
		return cryo_fail(e, in->pid, "sockets", "listen", (int)-r, "cannot listen on %s again (fd %d)", shown, f->r.fd);
	if ((d.flags & CRYO_UNIX_BOUND_UNLINKED) && remove_socket_file_again(in, scratch, &d, e))
		return -1;
	if (span && requeue_datagrams(x, f, &d, &a, e))
		return -1;
	if (inet_apply_options(x, (int)fd, opts, opts_len, 1, s->proc.pid, f->r.fd, e))
		return -1;
	if (fd != f->r.fd && (remote_sock_call(in, "dup3", SYS_dup3, fd, f->r.fd, flags & SOCK_CLOEXEC ? O_CLOEXEC : 0, &r, e) ||
			      remote_sock_call(in, "close", SYS_close, fd, 0, 0, &r, e)))
		return -1;
	return 0;
}

/* A socket that led outside: a new one of its domain and type, unconnected, with a warning. */
static int restore_closed(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_socket d;
	struct injector *in = x->in;
	long fd, r;
	if (f->detail_len < sizeof(d))
		return 0;
	memcpy(&d, f->detail, sizeof(d));
	int flags = (f->r.fd_flags & FD_CLOEXEC ? SOCK_CLOEXEC : 0) | (f->r.open_flags & O_NONBLOCK ? SOCK_NONBLOCK : 0);
	if (injector_syscall(in, SYS_socket, d.domain, d.type | flags, 0, 0, 0, 0, &fd, e))
		return -1;
	if (fd < 0)
		return cryo_fail(e, in->pid, "sockets", "socket", (int)-fd, "cannot recreate socket fd %d", f->r.fd);
	if (inet_check_options(f->detail + sizeof(d), f->detail_len - sizeof(d), in->pid, f->r.fd, e) ||
	    inet_apply_options(x, (int)fd, f->detail + sizeof(d), f->detail_len - sizeof(d), 0, c->s->proc.pid, f->r.fd, e) ||
	    inet_apply_options(x, (int)fd, f->detail + sizeof(d), f->detail_len - sizeof(d), 1, c->s->proc.pid, f->r.fd, e))
		return -1;
	if (fd != f->r.fd && (injector_syscall(in, SYS_dup3, fd, f->r.fd, flags & SOCK_CLOEXEC ? O_CLOEXEC : 0, 0, 0, 0, &r, e) ||
			      injector_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0, &r, e)))
		return -1;
	fprintf(stderr, "cryo-engine restore: warning: fd %d of process %d was %s to the outside; "
		"it comes back unconnected\n", f->r.fd, c->s->proc.pid, f->path);
	return 0;
}

static int restore_bound_fd(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	if (f->detail_len < sizeof(struct cryo_fd_unix_bound))
		return 0;
	return restore_bound(x, x->in, x->scratch, c->s, f, e);
}

int sockets_pool_fd(const struct tree *t, int first, uint64_t ino)
{
	for (int i = 0; i < t->nr_socketpairs; i++)
		for (int end = 0; end < 2; end++)
			if (t->socketpairs[i].r.ino[end] == ino)
				return first + 2 * i + end;
	return -1;
}

/* The messages queued for one end are sent again from the other. */
static int requeue(int from, const char *data, uint64_t len, struct cryo_error *e)
{
	for (uint64_t at = 0; at + 4 <= len;) {
		uint32_t n;
		memcpy(&n, data + at, 4);
		if (n > len - at - 4)
			return cryo_fail(e, getpid(), "sockets", "", EINVAL, "socket queue damaged");
		if (send(from, data + at + 4, n, MSG_NOSIGNAL) != (ssize_t)n)
			return cryo_fail_errno(e, getpid(), "sockets", "send", "cannot put %u queued bytes back", n);
		at += 4 + n;
	}
	return 0;
}

/* Each end shut down as it was, once its data is back in (a shut-down
 * end could not take it); for stream and seqpacket pairs the kernel marks
 * the peer too, which the saved state of the peer says anyway. */
static int shut_down_as_saved(int sv[2], const struct socketpair_rec *p, int i, struct cryo_error *e)
{
	for (int end = 0; end < 2; end++) {
		uint32_t s = p->r.shutdown[end] & 3;
		int how = s == 3 ? SHUT_RDWR : s == 1 ? SHUT_RD : SHUT_WR;
		if (s && shutdown(sv[end], how) < 0)
			return cryo_fail_errno(e, getpid(), "sockets", "shutdown", "cannot shut down end %d of socket pair %d", end + 1, i + 1);
	}
	return 0;
}

int sockets_create_pool(const struct tree *t, int first, int above, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_socketpairs; i++) {
		const struct socketpair_rec *p = &t->socketpairs[i];
		int sv[2], high[2];
		if (socketpair(AF_UNIX, (int)p->r.type | SOCK_CLOEXEC, 0, sv) < 0)
			return cryo_fail_errno(e, getpid(), "sockets", "socketpair", "cannot recreate socket pair %d", i + 1);
		/* the options once the queues are back in (a small SO_SNDBUF could hold them up) */
		if (requeue(sv[1], p->queued[0], p->r.queued_len[0], e) || requeue(sv[0], p->queued[1], p->r.queued_len[1], e) ||
		    shut_down_as_saved(sv, p, i, e))
			return -1;
		for (int end = 0; end < 2; end++)
			if (inet_apply_pool_options(t, sv[end], p->r.ino[end], 0, e) ||
			    inet_apply_pool_options(t, sv[end], p->r.ino[end], 1, e))
				return -1;
		/* by way of descriptors above the pool, so neither end lands on the other */
		for (int end = 0; end < 2; end++) {
			high[end] = fcntl(sv[end], F_DUPFD_CLOEXEC, above);
			close(sv[end]);
		}
		for (int end = 0; end < 2; end++) {
			if (high[end] < 0 || dup3(high[end], first + 2 * i + end, O_CLOEXEC) < 0)
				return cryo_fail_errno(e, getpid(), "sockets", "dup3", "cannot place socket pair %d", i + 1);
			close(high[end]);
		}
	}
	return 0;
}

/* ---- the socket kinds (fdtypes.h) ---- */

static int classify_socket(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	uint64_t ino;
	if (!S_ISSOCK(st->st_mode) || !sockets_parse_link(f->path, &ino))
		return 0;
	f->r.kind = CRYO_FD_SOCKET;         /* a pair inside the tree, or leading out: see link_socket */
	return 1;
}

/* A Unix pair inside the tree, TCP inside the tree, stdio of a root to the
 * outside, a bound Unix socket, or inet.c's: made again by its own calls, a
 * stream connection to the outside (unconnected, as in BLCR), or refused. */
static int link_socket(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	pid_t pid = t->procs[k].proc.pid;
	int out = sockets_link(t, pid, f, e);
	if (out <= 0)
		return out;
	if ((out = tcp_link(t, pid, f, e)) <= 0) {
		if (!out)
			f->r.kind = CRYO_FD_TCP;
		return out;
	}
	if (tree_is_root(t, &t->procs[k]) && f->r.fd <= 2) {
		f->r.kind = CRYO_FD_INHERIT;        /* a socket to the outside on stdio: cr_restart's own */
		return 0;
	}
	if ((out = sockets_capture_bound(pid, f, e)) <= 0)   /* bound (and listening) again, or refused */
		return out < 0 ? -1 : inet_capture_options(pid, f, e);
	return inet_capture(t, k, f, e);    /* made again by its own calls, unconnected as in BLCR, or refused */
}

static int validate_socket(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return sockets_pool_fd(t, 0, f->r.file.ino) < 0 ? -1 : 0;
}

static int socket_pool_fd(const struct tree *t, int pool_base, const struct cryo_fd *f)
{
	return sockets_pool_fd(t, pool_first(t, pool_base, &socketpairs_resource), f->file.ino);
}

static int socketpairs_slots(const struct tree *t)
{
	return 2 * t->nr_socketpairs;
}

static int create_socketpairs(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e)
{
	return sockets_create_pool(t, first, above, e);
}

const struct resource_ops socketpairs_resource = {
	.section = CRYO_SEC_SOCKETPAIRS, .name = "socket pairs", .write = tree_write_socketpairs,
	.read = tree_read_socketpairs, .free = tree_free_socketpairs, .pool_slots = socketpairs_slots,
	.create_in_pool = create_socketpairs,
};

const struct fd_ops socket_fd_ops = {
	.kind = CRYO_FD_SOCKET, .name = "Unix socket pair", .classify = classify_socket, .link_tree = link_socket,
	.validate = validate_socket, .restore = files_restore_from_pool, .pool_fd = socket_pool_fd,
};
const struct fd_ops closed_socket_fd_ops = {
	.kind = CRYO_FD_CLOSED_SOCKET, .name = "socket to the outside", .restore = restore_closed, .needs_memory = 1,
};
static int validate_bound(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	struct cryo_fd_unix_bound d;
	if (f->detail_len < sizeof(d))
		return 0;           /* restored as nothing, as before */
	memcpy(&d, f->detail, sizeof(d));
	return bound_queue_span(f, &d) < 0;
}

const struct fd_ops unix_bound_fd_ops = {
	.kind = CRYO_FD_UNIX_BOUND, .name = "bound Unix socket", .validate = validate_bound, .restore = restore_bound_fd,
	.needs_memory = 1,
};
