/*
 * An application linked with libcryo_callbacks keeps its connection to a
 * server outside the checkpoint: the socket comes back unconnected, and its
 * restart callback connects it again (async-signal-safe calls only) before
 * the application carries on, which finds it working.
 */
#include "testlib.h"
#include "cryo/callbacks.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct sockaddr_un server = { .sun_family = AF_UNIX };
static int conn = -1;

static void reconnect(void *arg)
{
	(void)arg;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0)
		dup2(fd, conn);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc < 3)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	snprintf(server.sun_path, sizeof(server.sun_path), "%s", argv[2]);
	conn = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(conn, (struct sockaddr *)&server, sizeof(server)) < 0 || cryo_register_callback(reconnect, NULL) < 0) {
		tl_fail("cannot connect to %s or register the callback", argv[2]);
		return tl_finish();
	}
	tl_ready();
	tl_wait_go();
	if (cryo_restart_count() != 1)
		tl_fail("the restart callback ran %d times, not once", cryo_restart_count());
	if (send(conn, "after", 5, 0) != 5)
		tl_fail("the connection the callback made again does not work");
	return tl_finish();
}
