/*
 * Memory of three kinds, 8 MiB each (argv[2] MiB each, if given), so that a
 * compressed checkpoint (--compress) stores blocks of every encoding: a
 * smooth field of doubles (a heat profile: compresses once byte-shuffled),
 * text-like repeating records (compresses as it is) and xorshift data
 * (does not compress: stored raw).  After the restart every byte must be
 * what it was.
 */
#include "testlib.h"
#include <math.h>
#include <sys/mman.h>

static double field(size_t i) { return 293.15 + 40.0 * exp(-(double)(i % 65536) / 9000.0) * cos((double)i * 1e-5); }

static void fill_records(char *p, size_t len)
{
	for (size_t at = 0, n = 0; at < len; n++) {
		char rec[64];
		int k = snprintf(rec, sizeof(rec), "record %08zu state=RUNNING weight=%zu;\n", n, n % 97);
		for (int j = 0; j < k && at < len; j++)
			p[at++] = rec[j];
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t part = (argc > 2 ? strtoul(argv[2], NULL, 10) : 8) << 20;
	char *mem = mmap(NULL, 3 * part, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *want = mmap(NULL, 3 * part, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || want == MAP_FAILED) {
		tl_fail("mmap");
		return 1;
	}
	double *d = (double *)mem;
	for (size_t i = 0; i < part / sizeof(double); i++)
		d[i] = field(i);
	fill_records(mem + part, part);
	uint64_t s = 0x2545F4914F6CDD1DULL, *r = (uint64_t *)(mem + 2 * part);
	for (size_t i = 0; i < part / 8; i++)
		r[i] = xorshift(&s);
	memcpy(want, mem, 3 * part);    /* the copy compresses alike: both are checked */

	tl_ready();
	tl_wait_go();

	static const char *what[] = { "the doubles", "the records", "the random data" };
	for (int k = 0; k < 3; k++)
		if (memcmp(mem + k * part, want + k * part, part))
			tl_fail("%s differ after the restart", what[k]);
	return tl_finish();
}
