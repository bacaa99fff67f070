/* cryo-bench-stencil: the numerical workload of the benchmark's compression
 * case (scripts/benchmark.sh).
 *
 *   cryo-bench-stencil MIB [STEPS [REPORT]]
 *
 * A 2-D heat equation solved by Jacobi steps (5-point stencil, explicit
 * Euler) on a square grid of doubles: two grids (the step's input and
 * output) of MIB/2 MiB each.  The plate starts at an ambient 293.15 K with
 * three hot spots; the edges are held at the ambient temperature.  It runs
 * STEPS steps (default 10), prints "ready" on stdout (and on stderr the share
 * of cells still exactly at the ambient temperature) and waits: what a
 * checkpoint then sees is what such a solver holds, full-precision doubles
 * of a smooth field around the spots and the ambient value far from them,
 * neither random nor zeros.
 *
 * SIGUSR1 asks it to check its memory: a 64-bit hash of both grids must be
 * the one taken before "ready".  The verdict ("verify ok" or "verify BAD
 * ...") goes to REPORT (written afresh by rename) or to stdout, as
 * cryo-bench-memhog does.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "verdict.h"

#define SPOT_WIDTH 0.0015     /* hot spots' e-folding radius squared, in plate units */

/* An ambient plate with three hot spots (Gaussians): far from them a cell
 * holds the ambient temperature exactly, as the cold part of a heated plate
 * does in any such solver. */
static void initial_field(double *u, size_t n)
{
	const double ambient = 293.15;
	const double spots[3][3] = { { 0.3, 0.3, 80.0 }, { 0.7, 0.4, 120.0 }, { 0.5, 0.8, 60.0 } };
	for (size_t i = 0; i < n; i++) {
		double y = (double)i / (double)(n - 1);
		for (size_t j = 0; j < n; j++) {
			double x = (double)j / (double)(n - 1);
			double t = ambient;
			for (int k = 0; k < 3; k++) {
				double dx = x - spots[k][0], dy = y - spots[k][1];
				t += spots[k][2] * exp(-(dx * dx + dy * dy) / SPOT_WIDTH);
			}
			u[i * n + j] = (i == 0 || j == 0 || i == n - 1 || j == n - 1) ? ambient : t;
		}
	}
}

/* One explicit step of u_t = lap(u): out = in + alpha * (sum of neighbours - 4 in). */
static void jacobi_step(const double *in, double *out, size_t n)
{
	const double alpha = 0.2;
	memcpy(out, in, n * sizeof(double));                      /* the edges */
	memcpy(out + (n - 1) * n, in + (n - 1) * n, n * sizeof(double));
	for (size_t i = 1; i + 1 < n; i++) {
		const double *r = in + i * n;
		double *o = out + i * n;
		o[0] = r[0];
		o[n - 1] = r[n - 1];
		for (size_t j = 1; j + 1 < n; j++)
			o[j] = r[j] + alpha * (r[j - 1] + r[j + 1] + r[j - n] + r[j + n] - 4.0 * r[j]);
	}
}

static uint64_t hash_words(const uint64_t *p, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < words; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

struct grids {
	const uint64_t *mem;
	size_t words;
	uint64_t want;
};

static void check_grids(FILE *out, void *arg)
{
	const struct grids *g = arg;
	uint64_t got = hash_words(g->mem, g->words);
	if (got != g->want)
		fprintf(out, "verify BAD: the grids hash to %#llx, want %#llx\n", (unsigned long long)got,
			(unsigned long long)g->want);
	else
		fprintf(out, "verify ok\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: cryo-bench-stencil MIB [STEPS [REPORT]]\n");
		return 1;
	}
	size_t mib = strtoull(argv[1], NULL, 10);
	int steps = argc > 2 ? atoi(argv[2]) : 10;
	const char *report = argc > 3 ? argv[3] : NULL;
	if (mib < 1 || steps < 0) {
		fprintf(stderr, "cryo-bench-stencil: want MIB >= 1 and STEPS >= 0\n");
		return 1;
	}
	syscall(SYS_close_range, 3U, ~0U, 0U);   /* inherited strays, as cryo-bench-memhog */

	size_t n = (size_t)sqrt((double)(mib << 20) / 2 / sizeof(double));
	size_t grid = n * n * sizeof(double);
	double *mem = mmap(NULL, 2 * grid, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "cryo-bench-stencil: mmap %zu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	double *u = mem, *v = mem + n * n;
	initial_field(u, n);
	for (int s = 0; s < steps; s++) {
		jacobi_step(u, v, n);
		double *t = u;
		u = v;
		v = t;
	}
	if (steps == 0)
		memcpy(v, u, grid);
	size_t ambient = 0;
	for (size_t i = 0; i < n * n; i++)
		ambient += u[i] == 293.15;
	fprintf(stderr, "cryo-bench-stencil: %zu x %zu grid, %d steps, %.1f%% of cells at the ambient temperature\n",
		n, n, steps, 100.0 * (double)ambient / (double)(n * n));
	size_t words = 2 * grid / 8;
	uint64_t want = hash_words((const uint64_t *)mem, words);

	struct grids g = { (const uint64_t *)mem, words, want };
	catch_verify_signal();
	printf("ready\n");
	fflush(stdout);
	serve_verdicts("cryo-bench-stencil", report, check_grids, &g);
}
