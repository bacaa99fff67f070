/*
 * Unix socket pairs between a parent and its child, with data queued in
 * both directions at checkpoint time: a stream pair (bytes), a datagram
 * pair and a seqpacket pair (three messages each, boundaries kept), one end
 * non-blocking.  After the restart both sides read what was queued, in
 * order, and keep talking.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *msgs[3] = { "first", "second message", "3" };

static int expect_messages(int fd, const char *what)
{
	char buf[64];
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n != (ssize_t)strlen(msgs[i]) || memcmp(buf, msgs[i], (size_t)n)) {
			tl_fail("%s: message %d is %zd bytes, not '%s'", what, i, n, msgs[i]);
			return 0;
		}
	}
	return 1;
}

static int expect_bytes(int fd, size_t len, uint64_t seed, const char *what)
{
	char buf[20000];
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != len || tl_find_mismatch(buf, len, seed) >= 0) {
		tl_fail("%s: %zu of %zu bytes, or not the ones sent", what, got, len);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int st[2], dg[2], sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, st);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	char buf[20000];
	tl_fill(buf, 12000, 5);
	if (send(st[0], buf, 12000, 0) != 12000)                 /* parent -> child, queued */
		return 1;
	for (int i = 0; i < 3; i++) {
		send(dg[0], msgs[i], strlen(msgs[i]), 0);
		send(sp[0], msgs[i], strlen(msgs[i]), 0);
	}
	pid_t child = fork();
	if (child == 0) {
		close(st[0]);
		close(dg[0]);
		close(sp[0]);
		fcntl(st[1], F_SETFL, O_NONBLOCK);
		tl_fill(buf, 7000, 6);
		if (send(st[1], buf, 7000, 0) != 7000)           /* child -> parent, queued */
			_exit(2);
		tl_wait_go();
		fcntl(st[1], F_SETFL, 0);
		int ok = (fcntl(st[1], F_GETFL) & O_NONBLOCK) == 0;
		ok &= expect_bytes(st[1], 12000, 5, "stream, parent to child");
		ok &= expect_messages(dg[1], "datagrams");
		ok &= expect_messages(sp[1], "seqpackets");
		ok &= send(sp[1], "reply", 5, 0) == 5;
		_exit(ok ? 0 : 1);
	}
	close(st[1]);
	close(dg[1]);
	close(sp[1]);
	tl_sleep_ms(50);
	tl_ready();
	tl_wait_go();
	expect_bytes(st[0], 7000, 6, "stream, child to parent");
	char r[16];
	if (recv(sp[0], r, sizeof(r), 0) != 5 || memcmp(r, "reply", 5))
		tl_fail("no reply over the seqpacket pair after the restart");
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tl_fail("the child's side failed");
	return tl_finish();
}
