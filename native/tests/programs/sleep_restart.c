/*
 * Blocked in sleep(4) at checkpoint time.  After the restart the sleep goes
 * on for the time that remained and returns 0 (not interrupted).  Prints
 * "SLEEP_RETURNED <value>" at once when it returns; the harness measures
 * the time from restart to that line.
 */
#include "testlib.h"

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	uint64_t start = tl_now_ns(CLOCK_MONOTONIC);
	tl_ready();
	errno = 0;
	unsigned int left = sleep(4);
	int saved_errno = errno;
	uint64_t slept = tl_now_ns(CLOCK_MONOTONIC) - start;
	tl_info("SLEEP_RETURNED %u", left);
	tl_info("INFO monotonic time since the sleep began %.3f s", slept / 1e9);
	TL_CHECK(left == 0, "sleep(4) returned %u (interrupted, errno %d)", left, saved_errno);
	TL_CHECK(slept >= 3900000000ull, "slept only %.3f s of 4", slept / 1e9);
	tl_wait_go();
	return tl_finish();
}
