/*
 * A process that made itself non-dumpable (prctl(PR_SET_DUMPABLE, 0)): the
 * engine must refuse to checkpoint it and leave it running and unchanged.
 */
#include "testlib.h"
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (prctl(PR_SET_DUMPABLE, 0) != 0) {
		tl_fail("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return 1;
	}
	tl_ready();
	tl_wait_go();
	TL_CHECK(prctl(PR_GET_DUMPABLE) == 0, "dumpable flag is %d", prctl(PR_GET_DUMPABLE));
	return tl_finish();
}
