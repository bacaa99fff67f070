/*
 * A large mapping (argv[2] MiB, default 4096) of which only every 100th page
 * was ever written: its context file must cost about what the written pages
 * do, not the size of the mapping.
 */
#include "testlib.h"
#include <sys/mman.h>

#define PAGE 4096

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 4096;
	size_t pages = (mib << 20) / PAGE;
	unsigned char *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		tl_fail("mmap %zu MiB", mib);
		return 1;
	}
	for (size_t p = 0; p < pages; p += 100)
		tl_fill(mem + p * PAGE, PAGE, p);

	tl_ready();
	tl_wait_go();

	for (size_t p = 0; p < pages; p += 100)
		tl_check_pattern("written page", mem + p * PAGE, PAGE, p);
	TL_CHECK(mem[PAGE] == 0 && mem[(pages - 1) * PAGE] == 0, "an untouched page is not zero");
	mem[50 * PAGE] = 1;     /* and the untouched rest is still usable */
	return tl_finish();
}
