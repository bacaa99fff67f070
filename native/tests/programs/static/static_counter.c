/*
 * A statically linked program (no ld.so, no vdso use by libc setup beyond
 * what static glibc does) computing a hash chain step by step: prints
 * "PROGRESS <i>" every 100 ms, then "RESULT <hash>", recomputes the chain
 * from scratch and passes if they agree.  A restart mid-way must continue
 * where the checkpoint was taken, not start over.
 */
#include "testlib.h"

#define STEPS 40

static uint64_t step(uint64_t h, int i)
{
	for (int k = 0; k < 100000; k++)
		h = (h ^ (uint64_t)(i * 131 + k)) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	tl_ready();
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 1; i <= STEPS; i++) {
		h = step(h, i);
		tl_info("PROGRESS %d", i);
		tl_sleep_ms(100);
	}
	tl_info("RESULT %016llx", (unsigned long long)h);
	uint64_t check = 0xcbf29ce484222325ull;
	for (int i = 1; i <= STEPS; i++)
		check = step(check, i);
	TL_CHECK(check == h, "result %016llx, recomputed %016llx", (unsigned long long)h,
		 (unsigned long long)check);
	return tl_finish();
}
