/*
 * TCP on loopback between a parent and its child, with data in flight both
 * ways (written, not yet read) at checkpoint time, and the parent's
 * listening socket.  After the restart the connection carries on with every
 * byte once and in order, and the listener takes a new connection.
 */
#include "testlib.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int read_exactly(int fd, char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0)
		return 1;
	char buf[30000];
	pid_t child = fork();
	if (child == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(2);
		tl_fill(buf, 20000, 21);
		if (send(c, buf, 20000, 0) != 20000)        /* to the parent, unread at checkpoint */
			_exit(3);
		tl_wait_go();
		int ok = read_exactly(c, buf, 15000) == 0 && tl_find_mismatch(buf, 15000, 22) < 0;
		ok &= send(c, "bye", 3, 0) == 3;
		_exit(ok ? 0 : 1);
	}
	int s = accept(ls, NULL, NULL);
	tl_fill(buf, 15000, 22);
	if (send(s, buf, 15000, 0) != 15000)               /* to the child, unread at checkpoint */
		return 1;
	tl_sleep_ms(100);
	tl_ready();
	tl_wait_go();
	if (read_exactly(s, buf, 20000) || tl_find_mismatch(buf, 20000, 21) >= 0)
		tl_fail("the 20000 bytes from the child did not arrive whole and in order");
	if (read_exactly(s, buf, 3) || memcmp(buf, "bye", 3))
		tl_fail("no 'bye' from the child over the restored connection");
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the child's side of the connection failed");
	int again = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(again, (struct sockaddr *)&a, sizeof(a)) < 0 || accept(ls, NULL, NULL) < 0)
		tl_fail("the listening socket does not take new connections");
	return tl_finish();
}
