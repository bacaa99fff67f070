/*
 * Blocked in read() on stdin at checkpoint time.  After the restart stdin is
 * the restart helper's; the read completes with the line written there,
 * not with EINTR.  Prints "GOT <line>".
 */
#include "testlib.h"

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	tl_ready();
	char buf[256];
	ssize_t n;
	errno = 0;
	n = read(0, buf, sizeof(buf) - 1);
	if (n < 0) {
		tl_fail("read(stdin) = -1 errno %d (%s)", errno, strerror(errno));
		return 1;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	tl_info("GOT %s", buf);
	TL_CHECK(n > 0, "read(stdin) returned end of file");
	tl_wait_go();
	return tl_finish();
}
