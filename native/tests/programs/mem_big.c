/*
 * A process holding a lot of memory (argv[2] MiB, default 16), every page
 * filled with its own pattern.  The fault tests checkpoint it into a
 * directory too small for it, or kill it in the middle of its checkpoint.
 */
#include "testlib.h"
#include <sys/mman.h>

static uint64_t word(size_t i) { return (i * 0x9E3779B97F4A7C15ull) ^ 0xb16b00b5ull; }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 16;
	size_t n = (mib << 20) / sizeof(uint64_t);
	uint64_t *mem = mmap(NULL, n * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		tl_fail("mmap %zu MiB", mib);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		mem[i] = word(i);

	tl_ready();
	tl_wait_go();

	for (size_t i = 0; i < n; i++)
		if (mem[i] != word(i)) {
			tl_fail("memory differs at byte %zu", i * sizeof(uint64_t));
			break;
		}
	return tl_finish();
}
