/*
 * Unix sockets bound to a name and not connected: stream and seqpacket
 * listeners on a path, on an abstract name and on a path relative to the
 * cwd; a stream socket bound but not listening; datagram sockets bound to
 * a path and to an abstract name.  After the restart each has its name
 * again (getsockname), listens again or not (SO_ACCEPTCONN), and a new
 * client reaches it by its name.  With the argument "pending" a client
 * waits in the first listener's backlog, which the checkpoint must refuse.
 */
#include "testlib.h"
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NR 6

struct bound {
	const char *what;
	int type, listening;
	struct sockaddr_un addr, name;      /* bound to; getsockname's before the checkpoint */
	socklen_t len, name_len;
	int fd;
};

static socklen_t set_name(struct sockaddr_un *a, const char *name, int abstract)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(a->sun_path + abstract, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + abstract);
}

/* A new client by the name: one byte there and one back (stream, seqpacket), or one datagram. */
static void expect_reachable(struct bound *b)
{
	int c = socket(AF_UNIX, b->type, 0);
	char x = 0;
	if (b->type == SOCK_DGRAM) {
		if (sendto(c, "d", 1, 0, (struct sockaddr *)&b->addr, b->len) != 1 ||
		    recv(b->fd, &x, 1, MSG_DONTWAIT) != 1 || x != 'd')
			tl_fail("%s: a datagram sent to its name does not arrive (%s)", b->what, strerror(errno));
		close(c);
		return;
	}
	if (!b->listening && listen(b->fd, 1) < 0)
		tl_fail("%s: cannot listen on it (%s)", b->what, strerror(errno));
	if (connect(c, (struct sockaddr *)&b->addr, b->len) < 0) {
		tl_fail("%s: cannot connect to its name (%s)", b->what, strerror(errno));
		close(c);
		return;
	}
	int s = accept(b->fd, NULL, NULL);
	if (s < 0 || write(c, "c", 1) != 1 || read(s, &x, 1) != 1 || x != 'c' || write(s, "s", 1) != 1 ||
	    read(c, &x, 1) != 1 || x != 's')
		tl_fail("%s: the accepted connection does not carry data (%s)", b->what, strerror(errno));
	close(s);
	close(c);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char dir[512], path[512], abs_name[64], abs_dgram[64];
	tl_work_path(dir, sizeof(dir), "");
	if (chdir(dir) < 0)
		return 1;
	snprintf(abs_name, sizeof(abs_name), "cryo-unix-bound-%d", (int)getpid());
	snprintf(abs_dgram, sizeof(abs_dgram), "cryo-unix-bound-dgram-%d", (int)getpid());
	struct bound b[NR] = {
		{ "stream listener on a path", SOCK_STREAM, 1 },
		{ "seqpacket listener on an abstract name", SOCK_SEQPACKET, 1 },
		{ "stream listener on a relative path", SOCK_STREAM, 1 },
		{ "stream socket bound, not listening", SOCK_STREAM, 0 },
		{ "datagram socket bound to a path", SOCK_DGRAM, 0 },
		{ "datagram socket on an abstract name", SOCK_DGRAM, 0 },
	};
	b[0].len = set_name(&b[0].addr, tl_work_path(path, sizeof(path), "listen.sock"), 0);
	b[1].len = set_name(&b[1].addr, abs_name, 1);
	b[2].len = set_name(&b[2].addr, "relative.sock", 0);
	b[3].len = set_name(&b[3].addr, tl_work_path(path, sizeof(path), "bound.sock"), 0);
	b[4].len = set_name(&b[4].addr, tl_work_path(path, sizeof(path), "dgram.sock"), 0);
	b[5].len = set_name(&b[5].addr, abs_dgram, 1);
	for (int i = 0; i < NR; i++) {
		b[i].fd = socket(AF_UNIX, b[i].type, 0);
		if (b[i].fd < 0 || bind(b[i].fd, (struct sockaddr *)&b[i].addr, b[i].len) < 0 ||
		    (b[i].listening && listen(b[i].fd, 7) < 0)) {
			printf("cannot set up the %s: %s\n", b[i].what, strerror(errno));
			return 1;
		}
		b[i].name_len = sizeof(b[i].name);
		if (getsockname(b[i].fd, (struct sockaddr *)&b[i].name, &b[i].name_len) < 0)
			return 1;
	}
	int pending = argc > 2 && !strcmp(argv[2], "pending") ? socket(AF_UNIX, SOCK_STREAM, 0) : -1;
	if (pending >= 0 && connect(pending, (struct sockaddr *)&b[0].addr, b[0].len) < 0)
		return 1;
	fcntl(b[0].fd, F_SETFL, O_NONBLOCK);
	tl_ready();
	tl_wait_go();
	if (pending >= 0) {
		int s = accept(b[0].fd, NULL, NULL);
		if (s < 0)
			tl_fail("the waiting client is gone from the backlog");
		close(s);
		close(pending);
	}
	for (int i = 0; i < NR; i++) {
		struct sockaddr_un got;
		socklen_t len = sizeof(got);
		int acc = -1;
		socklen_t al = sizeof(acc);
		if (getsockname(b[i].fd, (struct sockaddr *)&got, &len) < 0 || len != b[i].name_len ||
		    memcmp(&got, &b[i].name, len))
			tl_fail("%s: not bound to its name after the restart", b[i].what);
		if (getsockopt(b[i].fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || acc != b[i].listening)
			tl_fail("%s: listening is %d, not %d", b[i].what, acc, b[i].listening);
		expect_reachable(&b[i]);
	}
	if (!(fcntl(b[0].fd, F_GETFL) & O_NONBLOCK))
		tl_fail("the non-blocking listener lost O_NONBLOCK");
	return tl_finish();
}
