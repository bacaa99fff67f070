/*
 * The options of the sockets of the pool come back: two TCP listeners
 * sharing a port with SO_REUSEPORT, a listener (without SO_REUSEADDR) whose
 * port is held by its own accepted connection too, with its backlog and
 * TCP_DEFER_ACCEPT; that connection's two ends with keepalive, TOS,
 * priority, buffer sizes, TCP_USER_TIMEOUT, linger; a Unix socket pair with
 * SO_PASSCRED, a send buffer and a receive timeout.  Compared through
 * getsockopt before and after; then every socket still works.
 */
#include "testlib.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

struct watched {
	int fd, level, name;
	const char *what;
	unsigned char value[64];
	socklen_t len;
};
static struct watched watched[64];
static int nr_watched;

static void set_int(int fd, int level, int name, int value, const char *what)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		tl_fail("setsockopt %s: %s", what, strerror(errno));
}

static void watch(int fd, int level, int name, const char *what)
{
	struct watched *w = &watched[nr_watched++];
	*w = (struct watched){ .fd = fd, .level = level, .name = name, .what = what, .len = sizeof(w->value) };
	if (getsockopt(fd, level, name, w->value, &w->len) < 0)
		tl_fail("getsockopt %s on fd %d: %s", what, fd, strerror(errno));
}

static void check_watched(void)
{
	for (int i = 0; i < nr_watched; i++) {
		struct watched *w = &watched[i], now = { .len = sizeof(now.value) };
		if (getsockopt(w->fd, w->level, w->name, now.value, &now.len) < 0)
			tl_fail("fd %d: getsockopt %s: %s", w->fd, w->what, strerror(errno));
		else if (now.len != w->len || memcmp(now.value, w->value, w->len))
			tl_fail("fd %d: %s differs after the restart (was %d, now %d)", w->fd, w->what,
				*(int *)w->value, *(int *)now.value);
	}
}

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	return getsockname(fd, (struct sockaddr *)&a, &l) < 0 ? -1 : ntohs(a.sin_port);
}

static int listener(int port, int reuseport, int backlog)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (reuseport)
		set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0)
		tl_fail("listener on port %d: %s", port, strerror(errno));
	return fd;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		tl_fail("connect to port %d: %s", port, strerror(errno));
	return fd;
}

static unsigned backlog_of(int fd)
{
	struct tcp_info info = {0};
	socklen_t l = sizeof(info);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &l);
	return info.tcpi_sacked;    /* a listener's: its backlog */
}

/* One of the listeners accepts a new connection, within 10 s. */
static int accept_any(int *fds, int n)
{
	struct pollfd p[2];
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(p, (nfds_t)n, 10000) <= 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (p[i].revents & POLLIN)
			return accept(fds[i], NULL, NULL);
	return -1;
}

static void exchange(int a, int b, const char *what)
{
	char buf[16] = "";
	if (send(a, "ping", 4, MSG_NOSIGNAL) != 4 || recv(b, buf, sizeof(buf), 0) != 4 || memcmp(buf, "ping", 4))
		tl_fail("%s carries no data after the restart: %s", what, strerror(errno));
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	/* two listeners on one port, SO_REUSEPORT */
	int shared[2];
	shared[0] = listener(0, 1, 9);
	int port = port_of(shared[0]);
	shared[1] = listener(port, 1, 11);
	set_int(shared[1], IPPROTO_TCP, TCP_MAXSEG, 1200, "TCP_MAXSEG");
	watch(shared[0], SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
	watch(shared[1], SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
	watch(shared[1], IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG of a listener");
	unsigned backlogs[2] = { backlog_of(shared[0]), backlog_of(shared[1]) };

	/* a listener whose port its accepted connection holds too */
	int lone = listener(0, 0, 5);
	set_int(lone, IPPROTO_TCP, TCP_DEFER_ACCEPT, 3, "TCP_DEFER_ACCEPT");
	int lone_port = port_of(lone);
	int client = connect_to(lone_port);
	if (send(client, "x", 1, 0) != 1)
		tl_fail("send: %s", strerror(errno));
	int served = accept(lone, NULL, NULL);
	char x;
	if (served < 0 || recv(served, &x, 1, 0) != 1)
		tl_fail("accept: %s", strerror(errno));
	watch(lone, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR of a listener that had none");
	watch(lone, IPPROTO_TCP, TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT");
	unsigned lone_backlog = backlog_of(lone);

	set_int(client, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(client, IPPROTO_TCP, TCP_KEEPIDLE, 99, "TCP_KEEPIDLE");
	set_int(client, IPPROTO_TCP, TCP_USER_TIMEOUT, 4321, "TCP_USER_TIMEOUT");
	set_int(client, SOL_SOCKET, SO_PRIORITY, 4, "SO_PRIORITY");
	set_int(client, IPPROTO_IP, IP_TOS, 0x08, "IP_TOS");
	set_int(client, SOL_SOCKET, SO_SNDBUF, 40000, "SO_SNDBUF");
	set_int(served, SOL_SOCKET, SO_RCVBUF, 60000, "SO_RCVBUF");
	struct linger lg = { 1, 3 };
	if (setsockopt(served, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		tl_fail("SO_LINGER: %s", strerror(errno));
	watch(client, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
	watch(client, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	watch(client, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT");
	watch(client, SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY");
	watch(client, IPPROTO_IP, IP_TOS, "IP_TOS");
	watch(client, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	watch(served, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
	watch(served, SOL_SOCKET, SO_LINGER, "SO_LINGER");

	/* a Unix socket pair */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		tl_fail("socketpair: %s", strerror(errno));
	set_int(sv[0], SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
	set_int(sv[1], SOL_SOCKET, SO_SNDBUF, 33000, "SO_SNDBUF");
	struct timeval tv = { 3, 500000 };
	if (setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		tl_fail("SO_RCVTIMEO: %s", strerror(errno));
	watch(sv[0], SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED");
	watch(sv[1], SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	watch(sv[1], SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO");

	tl_ready();
	tl_wait_go();

	check_watched();
	TL_CHECK(port_of(shared[0]) == port && port_of(shared[1]) == port, "the SO_REUSEPORT listeners moved");
	TL_CHECK(backlog_of(shared[0]) == backlogs[0] && backlog_of(shared[1]) == backlogs[1],
		 "listen backlogs %u, %u became %u, %u", backlogs[0], backlogs[1], backlog_of(shared[0]), backlog_of(shared[1]));
	TL_CHECK(backlog_of(lone) == lone_backlog, "listen backlog %u became %u", lone_backlog, backlog_of(lone));
	exchange(client, served, "the accepted connection");
	exchange(served, client, "the accepted connection, back");
	exchange(sv[1], sv[0], "the socket pair");
	int fresh = connect_to(port), got = accept_any(shared, 2);
	TL_CHECK(got >= 0, "no SO_REUSEPORT listener accepts a new connection: %s", strerror(errno));
	int again = connect_to(lone_port);
	TL_CHECK(send(again, "y", 1, 0) == 1, "send to the listener: %s", strerror(errno));
	int other = accept_any(&lone, 1);
	TL_CHECK(other >= 0, "the listener accepts no new connection: %s", strerror(errno));
	close(fresh);
	close(again);
	return tl_finish();
}
