/* cryo-bench-memtree: the benchmark's process-tree workload (scripts/benchmark.sh).
 *
 *   cryo-bench-memtree MIB_PER_PROCESS PROCESSES THREADS [REPORT]
 *
 * A root forks PROCESSES - 1 children; every process runs THREADS threads
 * (its main thread and THREADS - 1 more), maps MIB_PER_PROCESS MiB of private
 * anonymous memory and fills it, each thread its own slice, with xorshift64
 * data seeded by the process's index (incompressible, no two pages alike, no
 * two processes alike).  The extra threads then wait on a condition variable
 * for good.  Once every process has filled its memory the root prints
 * "ready" on stdout and waits.  (8 processes x 8 threads x 256 MiB: the
 * benchmark's "tree" case, 64 threads and 2 GiB in all.)
 *
 * SIGUSR1 to the root asks the whole tree to check its memory: the root asks
 * each child through a pipe of its own (pipes survive a restart, child PIDs
 * may not: --no-restore-pid), checks its own memory, collects the children's
 * verdicts on a shared answer pipe and writes "verify ok" or "verify BAD ..."
 * to REPORT (by rename, so a reader never sees it half written), or to stdout
 * without REPORT.
 *
 * It closes every descriptor above 2 that it inherited (shells and job
 * runners leak pipes), so that it holds only what the benchmark gave it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXPROCS 64
#define MAXTHREADS 64

static volatile sig_atomic_t verify_requested;
static uint64_t *mem;
static size_t words;
static int index_, nthreads;
static pthread_mutex_t idle_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void on_usr1(int sig)
{
	(void)sig;
	verify_requested = 1;
}

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* each thread's slice has its own seed, so slices can be filled and checked apart */
static uint64_t slice_seed(int t)
{
	return 0x9e3779b97f4a7c15ULL * (uint64_t)(index_ * MAXTHREADS + t + 1) | 1;
}

static void slice(int t, size_t *lo, size_t *hi)
{
	*lo = words / nthreads * t;
	*hi = t == nthreads - 1 ? words : words / nthreads * (t + 1);
}

static void fill_slice(int t)
{
	size_t lo, hi;
	slice(t, &lo, &hi);
	uint64_t s = slice_seed(t);
	for (size_t i = lo; i < hi; i++)
		mem[i] = xorshift64(&s);
}

/* 0 if this process's memory is intact, else a message in buf */
static int verify(char *buf, size_t size)
{
	for (int t = 0; t < nthreads; t++) {
		size_t lo, hi;
		slice(t, &lo, &hi);
		uint64_t s = slice_seed(t);
		for (size_t i = lo; i < hi; i++) {
			uint64_t want = xorshift64(&s);
			if (mem[i] != want) {
				snprintf(buf, size, "process %d: word %zu is %#llx, want %#llx", index_, i,
					 (unsigned long long)mem[i], (unsigned long long)want);
				return -1;
			}
		}
	}
	return 0;
}

static pthread_barrier_t filled;

static void *thread_main(void *arg)
{
	fill_slice((int)(long)arg);
	pthread_barrier_wait(&filled);
	pthread_mutex_lock(&idle_mutex);
	for (;;)
		pthread_cond_wait(&idle_cond, &idle_mutex);   /* never signalled */
	return NULL;
}

/* map and fill this process's memory with all its threads; the extra threads stay */
static void start(size_t bytes)
{
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "cryo-bench-memtree: mmap: %s\n", strerror(errno));
		_exit(1);
	}
	words = bytes / 8;
	pthread_barrier_init(&filled, NULL, nthreads);
	for (int t = 1; t < nthreads; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, thread_main, (void *)(long)t) != 0) {
			fprintf(stderr, "cryo-bench-memtree: pthread_create failed\n");
			_exit(1);
		}
	}
	fill_slice(0);
	pthread_barrier_wait(&filled);
}

static int write_all(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* a child: fill, say so, then check its memory each time the root asks */
static void child(size_t bytes, int req, int ans)
{
	start(bytes);
	unsigned char msg[2] = { (unsigned char)index_, 0 };
	if (write_all(ans, msg, 2))
		_exit(1);
	for (;;) {
		char c, text[200];
		ssize_t n = read(req, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);            /* the root is gone */
		msg[1] = verify(text, sizeof text) == 0 ? 1 : 2;
		if (msg[1] == 2)
			fprintf(stderr, "cryo-bench-memtree: %s\n", text);
		if (write_all(ans, msg, 2))
			_exit(1);
	}
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: cryo-bench-memtree MIB_PER_PROCESS PROCESSES THREADS [REPORT]\n");
		return 1;
	}
	size_t mib = strtoull(argv[1], NULL, 10);
	int nprocs = atoi(argv[2]);
	nthreads = atoi(argv[3]);
	const char *report = argc > 4 ? argv[4] : NULL;
	if (mib == 0 || nprocs < 1 || nprocs > MAXPROCS || nthreads < 1 || nthreads > MAXTHREADS) {
		fprintf(stderr, "cryo-bench-memtree: want MIB > 0, 1 <= PROCESSES <= %d, 1 <= THREADS <= %d\n",
			MAXPROCS, MAXTHREADS);
		return 1;
	}
	syscall(SYS_close_range, 3U, ~0U, 0U);   /* the inherited strays, see above */

	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);    /* children inherit it blocked: only the root listens */

	int ans[2], req[MAXPROCS];
	if (pipe(ans) < 0)
		return 1;
	for (int k = 1; k < nprocs; k++) {
		int p[2];
		if (pipe(p) < 0)
			return 1;
		pid_t pid = fork();
		if (pid < 0) {
			perror("cryo-bench-memtree: fork");
			return 1;
		}
		if (pid == 0) {
			for (int o = 1; o < k; o++)
				close(req[o]);
			close(p[1]);
			close(ans[0]);
			index_ = k;
			child(mib << 20, p[0], ans[1]);
		}
		close(p[0]);
		req[k] = p[1];
	}
	close(ans[1]);
	start(mib << 20);
	for (int k = 1; k < nprocs; k++) {
		unsigned char msg[2];
		if (read_all(ans[0], msg, 2)) {
			fprintf(stderr, "cryo-bench-memtree: a child died while filling its memory\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		while (!verify_requested)
			sigsuspend(&old);   /* pause() without the lost-wakeup race */
		verify_requested = 0;
		char text[300] = "";
		int bad = 0;
		for (int k = 1; k < nprocs; k++)
			if (write_all(req[k], "v", 1)) {
				snprintf(text, sizeof text, "cannot ask process %d", k);
				bad = 1;
			}
		char mine[200];
		if (verify(mine, sizeof mine)) {
			snprintf(text, sizeof text, "%s", mine);
			bad = 1;
		}
		for (int k = 1; k < nprocs && !bad; k++) {
			unsigned char msg[2];
			if (read_all(ans[0], msg, 2)) {
				snprintf(text, sizeof text, "no answer from the children");
				bad = 1;
			} else if (msg[1] != 1) {
				snprintf(text, sizeof text, "process %d: its memory differs (see its stderr)", msg[0]);
				bad = 1;
			}
		}
		FILE *f = stdout;
		char tmp[4096];
		if (report) {
			snprintf(tmp, sizeof tmp, "%s.tmp", report);
			if (!(f = fopen(tmp, "w"))) {
				fprintf(stderr, "cryo-bench-memtree: %s: %s\n", tmp, strerror(errno));
				continue;
			}
		}
		if (bad)
			fprintf(f, "verify BAD: %s\n", text);
		else
			fprintf(f, "verify ok (%d processes)\n", nprocs);
		if (!report)
			fflush(f);
		else if (fclose(f) != 0 || rename(tmp, report) != 0)
			fprintf(stderr, "cryo-bench-memtree: %s: %s\n", report, strerror(errno));
	}
}
