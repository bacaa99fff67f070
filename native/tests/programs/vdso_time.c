/*
 * Time through the vdso: clock_gettime (REALTIME, MONOTONIC, the coarse
 * clocks, BOOTTIME), gettimeofday and time() work after the restart, agree
 * with each other, and the monotonic clocks have not gone backwards from
 * before the checkpoint (same boot).
 */
#include "testlib.h"
#include <sys/time.h>

static const struct { clockid_t id; const char *name; } clocks[] = {
	{ CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" },
	{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE" }, { CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" },
	{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" }, { CLOCK_BOOTTIME, "BOOTTIME" },
};
#define NR_CLOCKS (int)(sizeof(clocks) / sizeof(clocks[0]))

static int64_t ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	struct timespec before[NR_CLOCKS];
	for (int i = 0; i < NR_CLOCKS; i++)
		clock_gettime(clocks[i].id, &before[i]);

	tl_ready();
	tl_wait_go();

	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < NR_CLOCKS; i++) {
			struct timespec now;
			if (clock_gettime(clocks[i].id, &now) != 0) {
				tl_fail("clock_gettime(%s): %s", clocks[i].name, strerror(errno));
				continue;
			}
			/* REALTIME may be stepped; all others are monotonic on one boot. */
			if (clocks[i].id != CLOCK_REALTIME && clocks[i].id != CLOCK_REALTIME_COARSE &&
			    ns(&now) < ns(&before[i])) {
				tl_fail("%s went backwards: %lld < %lld", clocks[i].name,
					(long long)ns(&now), (long long)ns(&before[i]));
				return 1;
			}
			before[i] = now;
		}
	}

	struct timespec rt;
	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &rt);
	TL_CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday: %s", strerror(errno));
	time_t t = time(NULL);
	int64_t tv_ns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	TL_CHECK(llabs(tv_ns - ns(&rt)) < 1000000000LL, "gettimeofday and CLOCK_REALTIME disagree");
	TL_CHECK(llabs((long long)t - (long long)rt.tv_sec) <= 1, "time() and CLOCK_REALTIME disagree");

	/* The clocks advance: a 50 ms sleep is seen by MONOTONIC. */
	uint64_t m0 = tl_now_ns(CLOCK_MONOTONIC);
	tl_sleep_ms(50);
	uint64_t dm = tl_now_ns(CLOCK_MONOTONIC) - m0;
	TL_CHECK(dm >= 45000000ull && dm < 5000000000ull, "50 ms sleep measured as %llu ns",
		 (unsigned long long)dm);
	return tl_finish();
}
