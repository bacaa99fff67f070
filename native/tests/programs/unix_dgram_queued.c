/*
 * Bound Unix datagram sockets with messages queued to read (UCX's wake-up
 * socket, autobound to an abstract name, as MPICH uses it): an autobound one
 * with three messages of different lengths (one empty, one of 3840 bytes, the
 * most that is saved) and a path-bound one with one.  After the restart each
 * is bound to the same name, reads its messages in order, and is reached again
 * by name.  With argument "big", a message of 4000 bytes is queued: the
 * checkpoint is refused.
 */
#include "testlib.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static int bound_dgram(struct sockaddr_un *a, socklen_t *len, const char *path)
{
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un b = { .sun_family = AF_UNIX };
	if (path)
		snprintf(b.sun_path, sizeof(b.sun_path), "%s", path);
	/* autobind: an abstract name the kernel picks (5 hex digits) */
	socklen_t blen = path ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1)
			      : (socklen_t)sizeof(sa_family_t);
	if (s < 0 || bind(s, (struct sockaddr *)&b, blen) < 0) {
		tl_fail("socket/bind: %s", strerror(errno));
		exit(1);
	}
	*len = sizeof(*a);
	getsockname(s, (struct sockaddr *)a, len);
	return s;
}

static void send_to(int from, const struct sockaddr_un *a, socklen_t len, size_t n, uint64_t seed)
{
	static char buf[8192];
	tl_fill(buf, n, seed);
	if (sendto(from, buf, n, 0, (const struct sockaddr *)a, len) != (ssize_t)n)
		tl_fail("sendto %zu bytes: %s", n, strerror(errno));
}

static void expect(int s, size_t n, uint64_t seed, const char *which)
{
	static char buf[8192];
	ssize_t got = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	if (got != (ssize_t)n)
		tl_fail("%s: message of %zd bytes, expected %zu (%s)", which, got, n, got < 0 ? strerror(errno) : "");
	else if (tl_find_mismatch(buf, n, seed) >= 0)
		tl_fail("%s: message of %zu bytes differs", which, n);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int big = argc > 2 && !strcmp(argv[2], "big");
	char path[512];
	tl_work_path(path, sizeof(path), "wake.sock");
	struct sockaddr_un auto_a, path_a;
	socklen_t auto_len, path_len;
	int autob = bound_dgram(&auto_a, &auto_len, NULL);
	int named = bound_dgram(&path_a, &path_len, path);
	int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
	send_to(sender, &auto_a, auto_len, 1, 1);
	send_to(sender, &auto_a, auto_len, 0, 2);
	send_to(sender, &auto_a, auto_len, big ? 4000 : 3840, 3);
	send_to(sender, &path_a, path_len, 100, 4);
	tl_ready();
	tl_wait_go();

	struct sockaddr_un now;
	socklen_t now_len = sizeof(now);
	getsockname(autob, (struct sockaddr *)&now, &now_len);
	TL_CHECK(now_len == auto_len && !memcmp(&now, &auto_a, auto_len), "the autobound socket has another name");
	expect(autob, 1, 1, "autobound, first");
	expect(autob, 0, 2, "autobound, second (empty)");
	expect(autob, big ? 4000 : 3840, 3, "autobound, third");
	expect(named, 100, 4, "path-bound");
	char c;
	TL_CHECK(recv(autob, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "the autobound socket has more messages");
	/* reached by name again */
	send_to(sender, &auto_a, auto_len, 7, 5);
	expect(autob, 7, 5, "autobound, after the restart");
	send_to(sender, &path_a, path_len, 9, 6);
	expect(named, 9, 6, "path-bound, after the restart");
	unlink(path);
	return tl_finish();
}
