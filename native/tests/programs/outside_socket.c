/*
 * A socket to a peer outside the checkpoint (a Unix stream connection to a
 * server the test runs, argv[2]) comes back unconnected, as BLCR promised,
 * with a warning: the program sees an error on it, not a crash, and can
 * connect again.
 */
#include "testlib.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

static int connect_to(int fd, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc < 3)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect_to(fd, argv[2]) < 0) {
		tl_fail("cannot connect to %s", argv[2]);
		return tl_finish();
	}
	tl_ready();
	tl_wait_go();
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		tl_fail("fd %d is no longer a stream socket", fd);
	if (send(fd, "x", 1, 0) >= 0)
		tl_fail("the old connection still works: it should have come back closed");
	if (connect_to(fd, argv[2]) < 0 || send(fd, "again", 5, 0) != 5)
		tl_fail("cannot connect again after the restart");
	return tl_finish();
}
