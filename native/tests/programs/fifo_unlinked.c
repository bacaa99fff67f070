/*
 * A FIFO still open after its path was unlinked (group 2 of issue 8): a
 * reader and a writer in one process, with bytes queued.  After the restart
 * the bytes are there, the FIFO still works, and no path came back.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[512];
	tl_work_path(path, sizeof(path), "gone.fifo");
	if (mkfifo(path, 0600) < 0)
		return 1;
	int r = open(path, O_RDONLY | O_NONBLOCK);
	int w = open(path, O_WRONLY | O_NONBLOCK);
	if (r < 0 || w < 0 || write(w, "queued", 6) != 6 || unlink(path) < 0)
		return 1;
	tl_ready();
	tl_wait_go();
	TL_CHECK(tl_read_expect(r, "queued", 6), "the bytes queued in the unlinked FIFO are lost");
	TL_CHECK(write(w, "again", 5) == 5 && tl_read_expect(r, "again", 5), "the unlinked FIFO no longer carries bytes");
	struct stat st;
	TL_CHECK(fstat(r, &st) == 0 && S_ISFIFO(st.st_mode), "the reader is not a FIFO any more");
	TL_CHECK(access(path, F_OK) < 0, "the FIFO's path came back");
	return tl_finish();
}
