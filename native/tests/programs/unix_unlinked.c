/*
 * Unix sockets whose socket file the program removed after bind (a common
 * way to keep a private endpoint): a datagram socket bound to an absolute
 * path and a listener bound to a path relative to the cwd come back bound
 * to the same names, listening, and with no file left at either path; a
 * datagram socket connected to a named one still reaches it.
 */
#include "testlib.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static int bound(int type, const char *path)
{
	int fd = socket(AF_UNIX, type, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		tl_fail("bind %s: %s", path, strerror(errno));
	return fd;
}

static void check_name(int fd, const char *path)
{
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0 || strcmp(a.sun_path, path))
		tl_fail("fd %d: no longer bound to %s", fd, path);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char dgram_path[100], dir[100];
	tl_work_path(dgram_path, sizeof(dgram_path), "gone-dgram.sock");
	tl_work_path(dir, sizeof(dir), "");
	if (chdir(dir) < 0)
		tl_fail("chdir: %s", strerror(errno));
	int dgram = bound(SOCK_DGRAM, dgram_path);
	int listener = bound(SOCK_STREAM, "gone-listen.sock");
	if (listen(listener, 3) < 0)
		tl_fail("listen: %s", strerror(errno));
	int target = bound(SOCK_DGRAM, "target.sock"), client = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un t = { .sun_family = AF_UNIX, .sun_path = "target.sock" };
	if (connect(client, (struct sockaddr *)&t, sizeof(t)) < 0)
		tl_fail("connect: %s", strerror(errno));
	unlink(dgram_path);
	unlink("gone-listen.sock");

	tl_ready();
	tl_wait_go();

	struct stat st;
	check_name(dgram, dgram_path);
	check_name(listener, "gone-listen.sock");
	TL_CHECK(stat(dgram_path, &st) < 0 && errno == ENOENT, "%s is back on disk", dgram_path);
	TL_CHECK(stat("gone-listen.sock", &st) < 0 && errno == ENOENT, "gone-listen.sock is back on disk");
	int accepting = 0;
	socklen_t l = sizeof(accepting);
	TL_CHECK(getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &l) == 0 && accepting,
		 "the listener whose file was removed no longer listens");
	char buf[8] = "";
	TL_CHECK(send(client, "hi", 2, 0) == 2 && recv(target, buf, sizeof(buf), 0) == 2 && !memcmp(buf, "hi", 2),
		 "the connected datagram socket no longer reaches target.sock: %s", strerror(errno));
	return tl_finish();
}
