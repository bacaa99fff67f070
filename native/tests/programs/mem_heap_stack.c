/*
 * Memory of a process's own making: malloc'd heap (small chunks from the brk
 * heap, large ones from mmap), sbrk growth, arrays on the stack in nested
 * frames, a large anonymous mapping that is mostly untouched, and a
 * read-only anonymous page.  All must come back byte for byte, keep their
 * protections, and the process must be able to allocate more afterwards.
 */
#include "testlib.h"
#include <sys/mman.h>

#define NR_SMALL     64
#define SMALL_SIZE   200
#define LARGE_SIZE   (8u << 20)        /* above the mmap threshold */
#define SBRK_SIZE    (256u << 10)
#define SPARSE_SIZE  (64u << 20)       /* a few pages touched */
#define SPARSE_STEP  (4u << 20)

static void *small[NR_SMALL];
static uint8_t *large, *grown, *sparse, *readonly;
static long page;

static int check_sparse(void)
{
	int ok = 1;
	for (size_t off = 0; off < SPARSE_SIZE; off += 4096) {
		int touched = off % SPARSE_STEP == 0;
		if (touched) {
			ok &= tl_check_pattern("sparse mapping touched page", sparse + off, 64, 500 + off);
		} else {
			for (int i = 0; i < 4096; i += 512)
				if (sparse[off + i] != 0) {
					tl_fail("sparse mapping untouched page at +%zu is not zero", off);
					return 0;
				}
		}
	}
	return ok;
}

/* Each frame holds its own array, filled before the go and checked after. */
static int nested(int depth)
{
	volatile uint8_t frame[3000];
	tl_fill((void *)frame, sizeof(frame), 1000 + depth);
	int ok;
	if (depth > 0) {
		ok = nested(depth - 1);
	} else {
		tl_ready();
		tl_wait_go();
		ok = 1;
		for (int i = 0; i < NR_SMALL; i++)
			ok &= tl_check_pattern("small heap chunk", small[i], SMALL_SIZE, 100 + i);
		ok &= tl_check_pattern("large heap chunk", large, LARGE_SIZE, 200);
		ok &= tl_check_pattern("sbrk area", grown, SBRK_SIZE, 300);
		ok &= tl_check_pattern("read-only page", readonly, page, 400);
		ok &= check_sparse();
	}
	char what[64];
	snprintf(what, sizeof(what), "stack frame at depth %d", depth);
	ok &= tl_check_pattern(what, (void *)frame, sizeof(frame), 1000 + depth);
	return ok;
}

static void check_protections(void)
{
	char maps[1 << 16], line[512];
	ssize_t n = tl_read_file("/proc/self/maps", maps, sizeof(maps) - 1);
	if (n < 0) {
		tl_fail("cannot read /proc/self/maps");
		return;
	}
	maps[n] = 0;
	int found = 0;
	for (char *p = maps; *p; ) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 &&
		    s <= (unsigned long)readonly && (unsigned long)readonly < e) {
			found = 1;
			TL_CHECK(perms[0] == 'r' && perms[1] == '-' && perms[2] == '-',
				 "read-only page has permissions %s", perms);
		}
		p = nl ? nl + 1 : p + len;
	}
	TL_CHECK(found, "read-only page not in /proc/self/maps");
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < NR_SMALL; i++) {
		small[i] = malloc(SMALL_SIZE);
		tl_fill(small[i], SMALL_SIZE, 100 + i);
	}
	large = malloc(LARGE_SIZE);
	tl_fill(large, LARGE_SIZE, 200);
	grown = sbrk(SBRK_SIZE);
	if (grown == (void *)-1) {
		tl_fail("sbrk");
		return 1;
	}
	tl_fill(grown, SBRK_SIZE, 300);

	sparse = mmap(NULL, SPARSE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	readonly = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sparse == MAP_FAILED || readonly == MAP_FAILED) {
		tl_fail("mmap");
		return 1;
	}
	for (size_t off = 0; off < SPARSE_SIZE; off += SPARSE_STEP)
		tl_fill(sparse + off, 64, 500 + off);
	tl_fill(readonly, page, 400);
	mprotect(readonly, page, PROT_READ);

	nested(20);
	check_protections();

	/* Keeps working: the heap and brk grow, mmap works. */
	void *more = malloc(LARGE_SIZE);
	void *more_small = malloc(100);
	TL_CHECK(more && more_small, "malloc after restart");
	if (more && more_small) {
		tl_fill(more, LARGE_SIZE, 600);
		tl_check_pattern("new heap chunk", more, LARGE_SIZE, 600);
		free(more);
		free(more_small);
	}
	for (int i = 0; i < NR_SMALL; i++)
		free(small[i]);
	uint8_t *brk2 = sbrk(SBRK_SIZE);
	TL_CHECK(brk2 != (void *)-1, "sbrk after restart");
	if (brk2 != (void *)-1) {
		tl_fill(brk2, SBRK_SIZE, 700);
		tl_check_pattern("sbrk after restart", brk2, SBRK_SIZE, 700);
	}
	return tl_finish();
}
