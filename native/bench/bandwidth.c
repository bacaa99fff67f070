/* cryo-bench-bandwidth: what this machine's memory costs, for reading the
 * benchmark's figures (scripts/benchmark.sh).
 *
 *   cryo-bench-bandwidth [MIB]      (default 1024: size of each first-touch region)
 *
 * Prints key=value lines:
 *   memcpy_gbps          memcpy between two warm 256 MiB buffers, best of 8 (1 GB = 1e9 bytes)
 *   memcpy_gbps_median   median of the same 8
 *   touch_4k_s_per_gib   first write to fresh anonymous memory, 4 KiB pages (one store per page)
 *   touch_thp_s_per_gib  the same with madvise(MADV_HUGEPAGE) on a 2 MiB-aligned region
 *   thp_fraction         share of the MADV_HUGEPAGE region the kernel backed with huge pages
 *   fill_4k_s_per_gib    first touch and fill (memset) of 4 KiB pages: what a restore must at least pay
 * Each first-touch figure is the median of 3 fresh regions (munmapped between them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MIB (1UL << 20)
#define HUGE (2UL << 20)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *map_anon(size_t bytes, size_t align)
{
	char *p = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("cryo-bench-bandwidth: mmap");
		exit(1);
	}
	if (align) {   /* trim to an aligned start and exactly `bytes` */
		char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
		if (a > p)
			munmap(p, a - p);
		munmap(a + bytes, p + align - a);
		p = a;
	}
	return p;
}

/* kB of AnonHugePages in the mapping that contains addr, from /proc/self/smaps */
static long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0;
	long kb = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* seconds per GiB to fault in `bytes` of fresh memory; fill: memset every byte */
static double first_touch(size_t bytes, int huge, int fill, double *thp_fraction)
{
	char *p = map_anon(bytes, huge ? HUGE : 0);
	if (huge && madvise(p, bytes, MADV_HUGEPAGE) != 0)
		perror("cryo-bench-bandwidth: madvise(MADV_HUGEPAGE)");
	double t0 = now();
	if (fill)
		memset(p, 0x5a, bytes);
	else
		for (size_t off = 0; off < bytes; off += 4096)
			p[off] = 1;
	double t = now() - t0;
	if (thp_fraction) {
		long kb = anon_huge_kb(p);
		*thp_fraction = kb < 0 ? -1 : (double)kb * 1024 / bytes;
	}
	munmap(p, bytes);
	return t / ((double)bytes / (1UL << 30));
}

int main(int argc, char **argv)
{
	size_t region = (argc > 1 ? strtoul(argv[1], NULL, 10) : 1024) * MIB;
	if (region < HUGE) {
		fprintf(stderr, "usage: cryo-bench-bandwidth [MIB >= 2]\n");
		return 1;
	}

	/* memcpy, warm: both buffers faulted in and copied once before timing */
	size_t n = 256 * MIB;
	char *a = map_anon(n, 0), *b = map_anon(n, 0);
	memset(a, 1, n);
	memset(b, 2, n);
	memcpy(b, a, n);
	double gbps[8];
	for (int i = 0; i < 8; i++) {
		a[i] = (char)i;   /* keep the copies from being folded together */
		double t0 = now();
		memcpy(b, a, n);
		double t = now() - t0;
		gbps[i] = n / t / 1e9;
	}
	if (b[3] != 3)
		return 2;
	munmap(a, n);
	munmap(b, n);
	double best = 0;
	for (int i = 0; i < 8; i++)
		if (gbps[i] > best)
			best = gbps[i];
	printf("memcpy_gbps=%.2f\n", best);
	printf("memcpy_gbps_median=%.2f\n", median(gbps, 8));

	double t4k[3], thp[3], fill[3], frac[3];
	for (int i = 0; i < 3; i++) {
		t4k[i] = first_touch(region, 0, 0, NULL);
		thp[i] = first_touch(region, 1, 0, &frac[i]);
		fill[i] = first_touch(region, 0, 1, NULL);
	}
	printf("touch_4k_s_per_gib=%.3f\n", median(t4k, 3));
	printf("touch_thp_s_per_gib=%.3f\n", median(thp, 3));
	printf("thp_fraction=%.2f\n", median(frac, 3));
	printf("fill_4k_s_per_gib=%.3f\n", median(fill, 3));
	return 0;
}
