/* cryo-bench-memhog: the workload the benchmark (scripts/benchmark.sh) checkpoints.
 *
 *   cryo-bench-memhog MIB [PERCENT [REPORT]]
 *
 * Maps MIB MiB of private anonymous memory, fills the first PERCENT percent
 * (default 100, rounded to whole pages) with xorshift64 data (incompressible,
 * no two pages alike) and leaves the rest untouched (never faulted in), prints
 * "ready" on stdout and waits.
 *
 * SIGUSR1 asks it to check its memory: the touched part must still hold the
 * same xorshift sequence and the untouched part must read as zeros (one word
 * in every 16 pages is sampled, so that the check does not fault the whole
 * range in).  The verdict, "verify ok" or "verify BAD ...", goes to the file
 * REPORT (created afresh each time, by rename, so that a reader never sees it
 * half written), or to stdout without REPORT.  The benchmark sends SIGUSR1 to
 * each restored copy; a fresh file works whatever became of the descriptors.
 *
 * SIGUSR2 makes it write the time of day (microseconds) to REPORT.ran at
 * once, from the handler: queued by `cr_restart --signal USR2` before the
 * process is let go, it is the first thing a restored copy does, so the
 * benchmark reads when that copy ran its first instruction.
 *
 * It closes every descriptor above 2 that it inherited (shells and job
 * runners leak pipes), so that it holds only what the benchmark gave it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "verdict.h"

static char ran_path[4200];

/* async-signal-safe: the time it ran, as decimal microseconds */
static void on_usr2(int sig)
{
	(void)sig;
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	unsigned long long us = (unsigned long long)t.tv_sec * 1000000ull + (unsigned long long)t.tv_nsec / 1000;
	char digits[32];
	int n = sizeof(digits);
	digits[--n] = '\n';
	do
		digits[--n] = (char)('0' + us % 10);
	while ((us /= 10) && n > 0);
	int fd = open(ran_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t ignored = write(fd, digits + n, sizeof(digits) - (size_t)n);
		(void)ignored;
		close(fd);
	}
}

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void fill(uint64_t *p, size_t words, uint64_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < words; i++)
		p[i] = xorshift64(&s);
}

/* 0 when the memory holds what fill() left there; the verdict goes to out */
static int verify(FILE *out, const uint64_t *p, size_t touched_words, size_t total_words, uint64_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < touched_words; i++) {
		uint64_t want = xorshift64(&s);
		if (p[i] != want) {
			fprintf(out, "verify BAD: touched word %zu (byte offset %zu) is %#llx, want %#llx\n",
			       i, i * 8, (unsigned long long)p[i], (unsigned long long)want);
			return -1;
		}
	}
	const size_t stride = 16 * 4096 / 8;
	/* first sample: the first page boundary at or after the touched part */
	size_t start = (touched_words + 511) / 512 * 512;
	for (size_t i = start; i < total_words; i += stride) {
		if (p[i] != 0) {
			fprintf(out, "verify BAD: untouched word %zu (byte offset %zu) is %#llx, want 0\n",
			       i, i * 8, (unsigned long long)p[i]);
			return -1;
		}
	}
	fprintf(out, "verify ok\n");
	return 0;
}

struct memhog_check {
	const uint64_t *mem;
	size_t touched_words, total_words;
	uint64_t seed;
};

static void check_memory(FILE *out, void *arg)
{
	const struct memhog_check *c = arg;
	verify(out, c->mem, c->touched_words, c->total_words, c->seed);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: cryo-bench-memhog MIB [PERCENT [REPORT]]\n");
		return 1;
	}
	size_t mib = strtoull(argv[1], NULL, 10);
	double percent = argc > 2 ? strtod(argv[2], NULL) : 100.0;
	const char *report = argc > 3 ? argv[3] : NULL;
	const uint64_t seed = 0x9e3779b97f4a7c15ULL;
	if (mib == 0 || percent < 0 || percent > 100) {
		fprintf(stderr, "cryo-bench-memhog: want MIB > 0 and 0 <= PERCENT <= 100\n");
		return 1;
	}

	syscall(SYS_close_range, 3U, ~0U, 0U);   /* the inherited strays, see above */

	size_t bytes = mib << 20;
	uint64_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "cryo-bench-memhog: mmap %zu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	/* whole pages, so that "untouched" pages really are never faulted in */
	size_t touched_pages = (size_t)((double)(bytes / 4096) * percent / 100.0 + 0.5);
	size_t touched_words = touched_pages * 4096 / 8;
	size_t total_words = bytes / 8;

	struct memhog_check c = { mem, touched_words, total_words, seed };
	catch_verify_signal();
	if (report) {
		snprintf(ran_path, sizeof(ran_path), "%s.ran", report);
		struct sigaction ran = { .sa_handler = on_usr2 };
		sigemptyset(&ran.sa_mask);
		sigaction(SIGUSR2, &ran, NULL);
	}

	fill(mem, touched_words, seed);
	printf("ready\n");
	fflush(stdout);
	serve_verdicts("cryo-bench-memhog", report, check_memory, &c);
}
