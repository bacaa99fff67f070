/*
 * A FIFO's reader that has never seen a writer (Open MPI's
 * debugger_attach_fifo: opened O_NONBLOCK and watched with poll): nobody
 * holds the other end, and the reader gets no POLLHUP for it.  After the
 * restart it still gets none, a writer that comes reaches it through the
 * path, and once that writer leaves it gets POLLHUP.
 */
#include "testlib.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[512];
	tl_work_path(path, sizeof(path), "attach.fifo");
	if (mkfifo(path, 0600) < 0)
		return 1;
	int r = open(path, O_RDONLY | O_NONBLOCK);
	TL_CHECK(r >= 0 && revents(r) == 0, "before: the reader sees events %d", revents(r));
	tl_ready();
	tl_wait_go();

	TL_CHECK(revents(r) == 0, "after the restart the reader sees events 0x%x (a hang-up it never had?)", revents(r));
	int w = open(path, O_WRONLY | O_NONBLOCK);
	TL_CHECK(w >= 0, "no writer can open the FIFO: %s", strerror(errno));
	char c = 0;
	TL_CHECK(write(w, "x", 1) == 1 && read(r, &c, 1) == 1 && c == 'x', "a byte written is not read back");
	close(w);
	TL_CHECK(revents(r) & POLLHUP, "the writer left and the reader sees no POLLHUP (0x%x)", revents(r));
	unlink(path);
	return tl_finish();
}
