/*
 * Memory that keeps changing while it is checkpointed (incremental chains,
 * pre-copy): a region of pages (argv[2] MiB, default 32), of which the
 * program rewrites argv[3] per mille (default 10) every argv[4] ms (default
 * 5; 0: only when it gets SIGUSR1), each page filled from a stamp and its
 * index, the stamp also kept in a log elsewhere.  After the go, every page
 * must hold what its stamp in the log says: a page saved from one moment and
 * the log from another (a torn pre-copy, a wrong parent's page) fails.
 * argv[5] (with argv[4] 0): a file created after each write, for a test's
 * engine to wait for (CRYO_FAULT_SIGNAL_BEFORE_FREEZE).
 */
#include <fcntl.h>
#include "testlib.h"
#include <signal.h>
#include <sys/mman.h>

static uint64_t *log_of;
static uint8_t *region;
static size_t pages;
static volatile sig_atomic_t asked;

static void on_usr1(int sig)
{
	(void)sig;
	asked++;
}

static void fill(size_t p, uint64_t stamp)
{
	uint64_t *w = (uint64_t *)(region + p * 4096);
	for (size_t i = 0; i < 512; i++)
		w[i] = stamp * 1000003u + p * 31u + i;
	log_of[p] = stamp;
}

static void write_some(uint64_t stamp, size_t per_mille)
{
	size_t n = pages * per_mille / 1000;
	for (size_t j = 0; j < (n ? n : 1); j++)
		fill((size_t)((stamp * 7919u + j * 104729u) % pages), stamp);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 32;
	size_t per_mille = argc > 3 ? strtoul(argv[3], NULL, 10) : 10;
	long every_ms = argc > 4 ? strtol(argv[4], NULL, 10) : 5;
	const char *wrote_file = argc > 5 ? argv[5] : NULL;
	pages = mib * 256;
	region = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	log_of = calloc(pages, sizeof(*log_of));
	if (region == MAP_FAILED || !log_of)
		return 2;
	for (size_t p = 0; p < pages; p++)
		fill(p, 1);
	signal(SIGUSR1, on_usr1);
	tl_ready();
	uint64_t stamp = 1;
	sig_atomic_t done = 0;
	while (access(tl_go_path, F_OK) != 0) {
		if (every_ms > 0) {
			write_some(++stamp, per_mille);
			tl_sleep_ms(every_ms);
		} else {
			while (done < asked) {
				done++;
				write_some(++stamp, per_mille);
				printf("WROTE %ld\n", (long)done);
				if (wrote_file)
					close(open(wrote_file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
			}
			tl_sleep_ms(10);
		}
	}
	size_t bad = 0;
	for (size_t p = 0; p < pages; p++) {
		const uint64_t *w = (const uint64_t *)(region + p * 4096);
		for (size_t i = 0; i < 512; i++)
			if (w[i] != log_of[p] * 1000003u + p * 31u + i) {
				bad++;
				break;
			}
	}
	if (bad)
		tl_fail("%zu of %zu pages do not hold what their stamp says", bad, pages);
	write_some(stamp + 1, per_mille);   /* and it carries on writing */
	return tl_finish();
}
