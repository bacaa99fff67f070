#include "tcp.h"
#include "fdtypes.h"
#include "resources.h"
#include "error.h"
#include "inet.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP -1
#endif
#define OPT_MAXSEG    2
#define OPT_WINDOW    3
#define OPT_SACK_PERM 4
#define OPT_TIMESTAMP 8

struct tcp_view {
	int domain, protocol, type;
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len;
	struct tcp_info info;
};

static int view(int sk, struct tcp_view *v)
{
	socklen_t l = sizeof(int);
	memset(v, 0, sizeof(*v));
	if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &v->domain, &l) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_PROTOCOL, &v->protocol, &l)) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_TYPE, &v->type, &l)) < 0)
		return -1;
	if ((v->domain != AF_INET && v->domain != AF_INET6) || v->protocol != IPPROTO_TCP)
		return 0;
	v->local_len = sizeof(v->local);
	v->peer_len = sizeof(v->peer);
	getsockname(sk, (struct sockaddr *)&v->local, &v->local_len);
	if (getpeername(sk, (struct sockaddr *)&v->peer, &v->peer_len) < 0)
		v->peer_len = 0;
	l = sizeof(v->info);
	getsockopt(sk, IPPROTO_TCP, TCP_INFO, &v->info, &l);
	return 1;
}

static int same_addr(const struct sockaddr_storage *a, socklen_t al, const struct sockaddr_storage *b, socklen_t bl)
{
	return al == bl && al && !memcmp(a, b, al);
}

static int known(const struct tree *t, uint64_t ino)
{
	for (int i = 0; i < t->nr_tcp; i++)
		if (t->tcp[i].r.ino == ino)
			return 1;
	return 0;
}

/* Is there a socket in the tree whose local end is v's peer and whose peer is v's local end? */
static int peer_in_tree(const struct tree *t, const struct tcp_view *v)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			if (f->r.kind != CRYO_FD_SOCKET && f->r.kind != CRYO_FD_TCP)
				continue;
			struct cryo_error ignored;
			int sk = proc_dup_fd(t->procs[k].proc.pid, f->r.fd, &ignored);
			struct tcp_view w;
			int tcp = sk >= 0 && view(sk, &w) == 1;
			if (sk >= 0)
				close(sk);
			if (tcp && same_addr(&w.local, w.local_len, &v->peer, v->peer_len) &&
			    same_addr(&w.peer, w.peer_len, &v->local, v->local_len))
				return 1;
		}
	return 0;
}

static int peek_queue(int sk, int queue, char **out, uint64_t *len, uint32_t *seq)
{
	socklen_t l = sizeof(*seq);
	if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) < 0 ||
	    getsockopt(sk, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &l) < 0)
		return -1;
	/* in repair mode a peek of the selected queue returns its bytes */
	size_t cap = 4 << 20;
	*out = malloc(cap);
	if (!*out)
		return -1;
	ssize_t n = recv(sk, *out, cap, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN)
		return -1;
	*len = n > 0 ? (uint64_t)n : 0;
	return 0;
}

/* Everything TCP_REPAIR shows of a connected socket; repair mode ends without
 * a window probe.  The socket is in repair mode for these few calls only, not
 * across the checkpoint: an engine that dies later leaves it as it was. */
static int capture_connection(int sk, const struct tcp_view *v, struct tcp_rec *t)
{
	int on = 1, off = TCP_REPAIR_OFF_NO_WP, rc = -1;
	socklen_t l;
	if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
		return -1;
	struct tcp_repair_window w;
	l = sizeof(w);
	if (peek_queue(sk, TCP_SEND_QUEUE, &t->send, &t->r.send_len, &t->r.snd_seq) ||
	    peek_queue(sk, TCP_RECV_QUEUE, &t->recv, &t->r.recv_len, &t->r.rcv_seq) ||
	    getsockopt(sk, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &l) < 0)
		goto out;
	memcpy(t->r.window, &w, sizeof(t->r.window));
	l = sizeof(t->r.timestamp);
	getsockopt(sk, IPPROTO_TCP, TCP_TIMESTAMP, &t->r.timestamp, &l);
	t->r.mss = v->info.tcpi_snd_mss;
	t->r.snd_wscale = v->info.tcpi_snd_wscale;
	t->r.rcv_wscale = v->info.tcpi_rcv_wscale;
	t->r.options = v->info.tcpi_options;
	rc = 0;
out:
	setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
	return rc;
}

int tcp_link(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	if (known(t, f->r.file.ino))
		return 0;
	int sk = proc_dup_fd(pid, f->r.fd, e);
	if (sk < 0)
		return -1;
	struct tcp_view v;
	int rc = view(sk, &v);
	if (rc <= 0 || (v.info.tcpi_state != TCP_LISTEN &&
			(v.info.tcpi_state != TCP_ESTABLISHED || !peer_in_tree(t, &v)))) {
		close(sk);
		return rc < 0 ? cryo_fail_errno(e, pid, "sockets", "getsockopt", "cannot read socket fd %d of process %d", f->r.fd, pid) : 1;
	}
	/* a listener's tcp_info: tcpi_unacked connections waiting, tcpi_sacked its backlog */
	int listening = v.info.tcpi_state == TCP_LISTEN;
	if (listening && v.info.tcpi_unacked) {
		close(sk);
		return cryo_fail(e, pid, "sockets", "", ENOTSUP,
				 "fd %d of process %d is a TCP socket listening with %u connections not yet accepted: cannot save them",
				 f->r.fd, pid, v.info.tcpi_unacked);
	}
	if (inet_capture_pool(t, sk, pid, f->r.fd, f->r.file.ino, listening ? v.info.tcpi_sacked : 0, !listening, e)) {
		close(sk);
		return -1;
	}
	struct tcp_rec r = { .r = { .state = v.info.tcpi_state, .ino = f->r.file.ino, .domain = v.domain,
				    .local_len = v.local_len, .peer_len = v.peer_len } };
	memcpy(r.r.local, &v.local, sizeof(r.r.local));
	memcpy(r.r.peer, &v.peer, sizeof(r.r.peer));
	socklen_t l = sizeof(int);
	getsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &r.r.nodelay, &l);
	if (r.r.state == TCP_ESTABLISHED && capture_connection(sk, &v, &r)) {
		int err = errno;
		close(sk);
		free(r.send);
		free(r.recv);
		return cryo_fail(e, pid, "sockets", "setsockopt(TCP_REPAIR)", err,
				 "cannot save TCP connection fd %d of process %d (TCP_REPAIR needs CAP_NET_ADMIN)", f->r.fd, pid);
	}
	close(sk);
	struct tcp_rec *grown = realloc(t->tcp, (size_t)(t->nr_tcp + 1) * sizeof(*grown));
	if (!grown) {
		free(r.send);
		free(r.recv);
		return cryo_fail(e, pid, "sockets", "malloc", ENOMEM, "out of memory");
	}
	t->tcp = grown;
	t->tcp[t->nr_tcp++] = r;
	return 0;
}

static const struct tcp_rec *find_connection(const struct tree *t, uint64_t ino)
{
	for (int i = 0; i < t->nr_tcp; i++)
		if (t->tcp[i].r.ino == ino && t->tcp[i].r.state == TCP_ESTABLISHED)
			return &t->tcp[i];
	return NULL;
}

void tcp_quiet_before_kill(const struct tree *t)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			struct cryo_error ignored;
			int on = 1, sk;
			if (f->r.kind != CRYO_FD_TCP || f->r.dup_of >= 0 || !find_connection(t, f->r.file.ino) ||
			    (sk = proc_dup_fd(t->procs[k].proc.pid, f->r.fd, &ignored)) < 0)
				continue;
			setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));   /* at worst, a FIN as before */
			close(sk);
		}
}

int tcp_pool_fd(const struct tree *t, int first, uint64_t ino)
{
	for (int i = 0; i < t->nr_tcp; i++)
		if (t->tcp[i].r.ino == ino)
			return first + i;
	return -1;
}

static int fill_queue(int sk, int queue, const char *data, uint64_t len)
{
	if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) < 0)
		return -1;
	for (uint64_t at = 0; at < len;) {
		ssize_t n = send(sk, data + at, len - at, 0);
		if (n <= 0)
			return -1;
		at += (uint64_t)n;
	}
	return 0;
}

static int set_seq(int sk, int queue, uint32_t seq)
{
	return setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) < 0 ||
	       setsockopt(sk, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) < 0 ? -1 : 0;
}

/* A connection put back as it was, without a handshake: TCP_REPAIR. */
static int rebuild_connection(int sk, const struct tcp_rec *t)
{
	const struct cryo_tcp *r = &t->r;
	int on = 1;
	if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0 ||
	    set_seq(sk, TCP_SEND_QUEUE, r->snd_seq - (uint32_t)r->send_len) ||
	    set_seq(sk, TCP_RECV_QUEUE, r->rcv_seq - (uint32_t)r->recv_len) ||
	    bind(sk, (const struct sockaddr *)r->local, r->local_len) < 0 ||
	    connect(sk, (const struct sockaddr *)r->peer, r->peer_len) < 0)
		return -1;
	struct tcp_repair_opt opts[4];
	int n = 0;
	opts[n++] = (struct tcp_repair_opt){ OPT_MAXSEG, r->mss };
	if (r->options & TCPI_OPT_WSCALE)
		opts[n++] = (struct tcp_repair_opt){ OPT_WINDOW, r->snd_wscale | (r->rcv_wscale << 16) };
	if (r->options & TCPI_OPT_SACK)
		opts[n++] = (struct tcp_repair_opt){ OPT_SACK_PERM, 0 };
	if (r->options & TCPI_OPT_TIMESTAMPS)
		opts[n++] = (struct tcp_repair_opt){ OPT_TIMESTAMP, 0 };
	struct tcp_repair_window w;
	memcpy(&w, r->window, sizeof(w));
	if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, (socklen_t)(n * sizeof(opts[0]))) < 0 ||
	    ((r->options & TCPI_OPT_TIMESTAMPS) &&
	     setsockopt(sk, IPPROTO_TCP, TCP_TIMESTAMP, &r->timestamp, sizeof(r->timestamp)) < 0) ||
	    fill_queue(sk, TCP_RECV_QUEUE, t->recv, r->recv_len) ||
	    fill_queue(sk, TCP_SEND_QUEUE, t->send, r->send_len) ||
	    setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) < 0)
		return -1;
	return 0;
}

/* SO_REUSEADDR for the bind (its port may be in TIME_WAIT, or held by its own
 * accepted connections); the recorded value comes after, with the options. */
/* 10.0.0.1:5000 or [fe80::1]:5000, for messages. */
static const char *listener_address(const struct tcp_rec *t, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *a4 = (const void *)t->r.local;
	const struct sockaddr_in6 *a6 = (const void *)t->r.local;
	if (t->r.domain == AF_INET6) {
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else {
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(a4->sin_port));
	}
	return out;
}

/* An address the node no longer has (an interface gone, another node):
 * bound anyway (IP_FREEBIND, for this bind only), so the program listens
 * where it did and is reached there once the address is back. UCX listens
 * on every interface, bridges of test clusters included. */
static int bind_freely(int sk, const struct tcp_rec *t)
{
	int on = 1, off = 0;
	char shown[80];
	if (setsockopt(sk, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on)) < 0 ||
	    bind(sk, (const struct sockaddr *)t->r.local, t->r.local_len) < 0)
		return -1;
	setsockopt(sk, IPPROTO_IP, IP_FREEBIND, &off, sizeof(off));
	fprintf(stderr, "cryo-engine restore: warning: a TCP socket listens on %s, an address this node does not have "
		"(now); it is reached there once the address is back\n", listener_address(t, shown, sizeof(shown)));
	return 0;
}

static int rebuild_listener(int sk, const struct tcp_rec *t, uint32_t backlog)
{
	int on = 1;
	if (setsockopt(sk, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return -1;
	if (bind(sk, (const struct sockaddr *)t->r.local, t->r.local_len) < 0 &&
	    (errno != EADDRNOTAVAIL || bind_freely(sk, t) < 0))
		return -1;
	return listen(sk, backlog ? (int)backlog : 128) < 0 ? -1 : 0;
}

/* Options come in two passes: before bind (SO_REUSEPORT, SO_BINDTODEVICE ...),
 * and this one once every socket is bound and out of repair (which resets
 * SO_REUSEADDR). */
static int set_recorded_options(const struct tree *t, int first, int after_bind, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_tcp; i++)
		if (inet_apply_pool_options(t, first + i, t->tcp[i].r.ino, after_bind, e))
			return -1;
	return 0;
}

/* The inode of a socket of the node bound to port (any address, either
 * family), from /proc/net/tcp and tcp6; 0 if none is listed. */
static uint64_t socket_on_port(unsigned int port)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	uint64_t found = 0;
	for (int i = 0; i < 2 && !found; i++) {
		FILE *f = fopen(tables[i], "re");
		char line[512];
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned int p;
			unsigned long long ino;
			char *colon;
			if (sscanf(line, " %*d: %63s %*s %*x %*s %*s %*s %*u %*u %llu", local, &ino) != 2 ||
			    !(colon = strrchr(local, ':')) || sscanf(colon + 1, "%x", &p) != 1)
				continue;
			if (p == port && ino)
				found = ino;
		}
		fclose(f);
	}
	return found;
}

/* "lmp[1234] (fd 17)": who holds the port a listener of the file wants. */
static const char *port_holder(const struct tcp_rec *r, int sk, char *out, size_t size)
{
	const struct sockaddr_in *a = (const void *)r->r.local;   /* sin_port and sin6_port are at the same place */
	struct stat st;
	uint64_t ino = socket_on_port(ntohs(a->sin_port));
	int fd = -1;
	pid_t pid = ino && fstat(sk, &st) == 0 ? proc_find_holder(st.st_dev, ino, -1, NULL, NULL, &fd) : 0;
	if (!pid)
		return "a socket of no process seen (closing, or another namespace)";
	char who[96];
	proc_describe(pid, who, sizeof(who));
	snprintf(out, size, "%.96s (fd %d)", who, fd);
	return out;
}

int tcp_create_pool(const struct tree *t, int first, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_tcp; i++) {
		const struct tcp_rec *r = &t->tcp[i];
		const struct pool_sockopts_rec *o = inet_pool_options(t, r->r.ino);
		int sk = socket(r->r.domain, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
		if (sk < 0)
			return cryo_fail_errno(e, getpid(), "sockets", "socket", "cannot recreate a TCP socket");
		struct rexec self;
		rexec_self(&self);
		if (o && inet_apply_options(&self, sk, o->opts, o->len, 0, getpid(), first + i, e)) {
			close(sk);
			return -1;
		}
		int rc = r->r.state == TCP_LISTEN ? rebuild_listener(sk, r, o ? o->r.backlog : 0) : rebuild_connection(sk, r);
		if (!rc && r->r.nodelay)
			setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &r->r.nodelay, sizeof(r->r.nodelay));
		if (rc || (sk != first + i && (dup3(sk, first + i, O_CLOEXEC) < 0 || close(sk) < 0))) {
			int err = errno;
			char shown[80], who[128], holder[160] = "";
			if (err == EADDRINUSE && r->r.state == TCP_LISTEN)
				snprintf(holder, sizeof(holder), ": its port is taken by %s", port_holder(r, sk, who, sizeof(who)));
			close(sk);
			return cryo_fail(e, getpid(), "sockets", r->r.state == TCP_LISTEN ? "bind/listen" : "TCP_REPAIR", err,
					 "cannot recreate a TCP %s socket on %s%s", r->r.state == TCP_LISTEN ? "listening" : "connected",
					 listener_address(r, shown, sizeof(shown)), holder);
		}
	}
	/* out of repair mode only once every end exists: a segment one end sends
	 * on leaving it must find its peer, or it is answered with a reset */
	for (int i = 0; i < t->nr_tcp; i++) {
		int off = TCP_REPAIR_OFF;
		if (t->tcp[i].r.state != TCP_LISTEN &&
		    setsockopt(first + i, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
			return cryo_fail_errno(e, getpid(), "sockets", "setsockopt(TCP_REPAIR)", "cannot end the repair of a TCP connection");
	}
	return set_recorded_options(t, first, 1, e);
}

/* ---- the TCP kind (fdtypes.h): set by the socket kind's link_tree ---- */

static int validate_tcp(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return tcp_pool_fd(t, 0, f->r.file.ino) < 0 ? -1 : 0;
}

static int tcp_fd_pool_fd(const struct tree *t, int pool_base, const struct cryo_fd *f)
{
	return tcp_pool_fd(t, pool_first(t, pool_base, &tcp_resource), f->file.ino);
}

const struct fd_ops tcp_fd_ops = {
	.kind = CRYO_FD_TCP, .name = "TCP socket", .validate = validate_tcp, .restore = files_restore_from_pool,
	.pool_fd = tcp_fd_pool_fd,
};

static int tcp_slots(const struct tree *t)
{
	return t->nr_tcp;
}

static int create_tcp(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e)
{
	return tcp_create_pool(t, first, e);
}

const struct resource_ops tcp_resource = {
	.section = CRYO_SEC_TCP, .name = "TCP sockets", .write = tree_write_tcp, .read = tree_read_tcp,
	.free = tree_free_tcp, .pool_slots = tcp_slots, .create_in_pool = create_tcp, .before_kill = tcp_quiet_before_kill,
};
