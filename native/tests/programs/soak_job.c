/*
 * The soak test's job (SoakTest.java): a small multi-process, multi-threaded
 * computation that keeps running through many checkpoint/kill/restart cycles
 * and must end with exactly the result of an uninterrupted run.
 *
 *   soak_job GO_FILE [ROUNDS [WORK [MEM_MIB]]]   (defaults 400, 200000 and 0)
 *   soak_job --reap COMMAND [ARGS...]
 *
 * The root forks 3 workers;
 * each worker is joined to the root by two pipes (tasks down, results up) and
 * runs 2, 3 or 4 computing threads that meet on a pthread barrier.  Round r:
 * the root writes r to every worker; each thread of a worker mixes WORK steps
 * from a seed made of (worker, thread, r), folds its value into its slice of
 * the worker's state array; the worker sends the combination of its threads'
 * values up; the root folds the 3 answers into its accumulator, keeps the
 * round's value in its history and prints "PROGRESS r".  After ROUNDS rounds
 * the root waits for the go file, stops the workers (each sends a checksum of
 * its state, joins its threads and exits 0), reaps them and prints
 * "RESULT <hex>" and PASS.  Nothing is written to any file: all progress is in
 * memory, in the pipes and in the threads' registers.
 *
 * MEM_MIB > 0 gives the job that much memory in all, split between the
 * workers: each fills its share with a pattern before the first round, every
 * thread rewrites a page of its own part of it each round, and the share's
 * checksum goes into the worker's final checksum, so that a page lost or
 * restored wrong changes the result.
 *
 * --reap runs COMMAND (the test's `cryo-engine restore`) as a child subreaper:
 * the workers of a tree killed by `checkpoint --kill` are reparented to it and
 * reaped at once, not to a PID 1 that may take a second or more, so that the
 * next restart need not wait for their PIDs.  It exits with COMMAND's status
 * once every child is reaped; each orphan it reaps is one line on stderr,
 * "REAPED PID exit N" or "REAPED PID signal N".
 */
#include "testlib.h"
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define NWORKERS 3
#define MAXTHREADS 4
#define SLICE 1024                       /* state words per thread */
#define STOP UINT64_MAX

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- a worker process ---- */

static int w_index, w_nthreads;
static long w_work;
static pthread_barrier_t w_start, w_end;
static volatile uint64_t w_round;        /* set by the worker's main thread before w_start */
static uint64_t w_value[MAXTHREADS];
static uint64_t w_state[MAXTHREADS * SLICE];
static uint64_t *w_mem;                  /* MEM_MIB / NWORKERS of it, or NULL */
static size_t w_mem_words;
#define PAGE_WORDS 512

/* Round r rewrites one page of thread t's part of the worker's memory. */
static void w_touch_memory(int t, uint64_t r, uint64_t x)
{
	size_t part = w_mem_words / (size_t)w_nthreads;
	size_t pages = part / PAGE_WORDS;
	if (!pages)
		return;
	uint64_t *page = w_mem + (size_t)t * part + (size_t)(mix(r ^ (uint64_t)t) % pages) * PAGE_WORDS;
	for (int i = 0; i < PAGE_WORDS; i++)
		page[i] = mix(page[i] ^ x);
}

static int w_fill_memory(void)
{
	if (!w_mem_words)
		return 0;
	w_mem = malloc(w_mem_words * sizeof(uint64_t));
	if (!w_mem)
		return -1;
	for (size_t i = 0; i < w_mem_words; i++)
		w_mem[i] = mix(((uint64_t)w_index << 56) ^ i);
	return 0;
}

static void *w_thread(void *arg)
{
	int t = (int)(long)arg;
	for (;;) {
		pthread_barrier_wait(&w_start);
		uint64_t r = w_round;
		if (r == STOP)
			return NULL;
		uint64_t x = mix(((uint64_t)w_index << 48) ^ ((uint64_t)t << 40) ^ r);
		for (long i = 0; i < w_work; i++)
			x = mix(x ^ (uint64_t)i);
		w_state[t * SLICE + r % SLICE] ^= x;
		if (w_mem)
			w_touch_memory(t, r, x);
		w_value[t] = x;
		pthread_barrier_wait(&w_end);
	}
}

static void worker(int task_r, int result_w)
{
	w_nthreads = 2 + w_index;            /* 2, 3, 4 threads */
	if (w_fill_memory())
		_exit(2);
	pthread_barrier_init(&w_start, NULL, w_nthreads + 1);
	pthread_barrier_init(&w_end, NULL, w_nthreads + 1);
	pthread_t th[MAXTHREADS];
	for (int t = 0; t < w_nthreads; t++)
		if (pthread_create(&th[t], NULL, w_thread, (void *)(long)t) != 0)
			_exit(3);
	uint64_t hello = (uint64_t)w_nthreads;
	if (write_full(result_w, &hello, sizeof(hello)) < 0)
		_exit(4);
	for (;;) {
		uint64_t r;
		if (read_full(task_r, &r, sizeof(r)) < 0)
			_exit(5);
		w_round = r;
		pthread_barrier_wait(&w_start);
		if (r == STOP)
			break;
		pthread_barrier_wait(&w_end);
		uint64_t v = r;
		for (int t = 0; t < w_nthreads; t++)
			v = mix(v ^ w_value[t]);
		if (write_full(result_w, &v, sizeof(v)) < 0)
			_exit(6);
	}
	for (int t = 0; t < w_nthreads; t++)
		pthread_join(th[t], NULL);
	uint64_t sum = tl_checksum(w_state, sizeof(w_state));
	if (w_mem)
		sum = mix(sum ^ tl_checksum(w_mem, w_mem_words * sizeof(uint64_t)));
	if (write_full(result_w, &sum, sizeof(sum)) < 0)
		_exit(7);
	_exit(0);
}

/* ---- --reap ---- */

static int reap(char **command)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("soak_job --reap: prctl(PR_SET_CHILD_SUBREAPER)");
		return 125;
	}
	pid_t child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		execvp(command[0], command);
		perror("soak_job --reap: exec");
		_exit(127);
	}
	int status = 0, st;
	pid_t p;
	while ((p = wait(&st)) > 0 || (p < 0 && errno == EINTR)) {
		if (p == child)
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		else if (p > 0)   /* an orphan: how it ended tells whether it ran (InterruptedRestartTest) */
			fprintf(stderr, "REAPED %d %s %d\n", (int)p, WIFEXITED(st) ? "exit" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	return status;
}

/* ---- the root ---- */

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--reap"))
		return reap(argv + 2);
	tl_init(argc, argv);
	long rounds = argc > 2 ? atol(argv[2]) : 400;
	w_work = argc > 3 ? atol(argv[3]) : 200000;
	long mem_mib = argc > 4 ? atol(argv[4]) : 0;
	if (rounds < 1 || w_work < 1 || mem_mib < 0 || mem_mib > 65536) {
		fprintf(stderr, "soak_job: want ROUNDS >= 1, WORK >= 1 and 0 <= MEM_MIB <= 65536\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	w_mem_words = (size_t)mem_mib * (1 << 20) / NWORKERS / sizeof(uint64_t);

	int task_w[NWORKERS], result_r[NWORKERS];
	pid_t pids[NWORKERS];
	for (int w = 0; w < NWORKERS; w++) {
		int down[2], up[2];
		if (pipe(down) < 0 || pipe(up) < 0)
			return 1;
		pids[w] = fork();
		if (pids[w] < 0)
			return 1;
		if (pids[w] == 0) {
			/* only this worker's own two ends stay open */
			for (int o = 0; o < w; o++) {
				close(task_w[o]);
				close(result_r[o]);
			}
			close(down[1]);
			close(up[0]);
			w_index = w;
			worker(down[0], up[1]);
		}
		close(down[0]);
		close(up[1]);
		task_w[w] = down[1];
		result_r[w] = up[0];
	}
	for (int w = 0; w < NWORKERS; w++) {
		uint64_t hello;
		if (read_full(result_r[w], &hello, sizeof(hello)) < 0 || hello != (uint64_t)(2 + w)) {
			tl_fail("worker %d did not start", w);
			return 1;
		}
	}

	uint64_t *history = calloc((size_t)rounds, sizeof(uint64_t));
	if (!history)
		return 1;
	uint64_t acc = 0x5eed;
	tl_ready();

	for (long r = 0; r < rounds; r++) {
		uint64_t task = (uint64_t)r;
		for (int w = 0; w < NWORKERS; w++)
			if (write_full(task_w[w], &task, sizeof(task)) < 0) {
				tl_fail("round %ld: cannot send to worker %d", r, w);
				return 1;
			}
		uint64_t round_value = task;
		for (int w = 0; w < NWORKERS; w++) {
			uint64_t v;
			if (read_full(result_r[w], &v, sizeof(v)) < 0) {
				tl_fail("round %ld: no answer from worker %d", r, w);
				return 1;
			}
			round_value = mix(round_value ^ v);
		}
		history[r] = round_value;
		acc = mix(acc ^ round_value);
		printf("PROGRESS %ld\n", r + 1);
	}

	tl_wait_go();
	uint64_t result = mix(acc ^ tl_checksum(history, (size_t)rounds * sizeof(uint64_t)));
	uint64_t stop = STOP;
	for (int w = 0; w < NWORKERS; w++) {
		uint64_t sum;
		if (write_full(task_w[w], &stop, sizeof(stop)) < 0 || read_full(result_r[w], &sum, sizeof(sum)) < 0) {
			tl_fail("worker %d did not stop", w);
			continue;
		}
		result = mix(result ^ sum);
		int st;
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			tl_fail("worker %d ended with status %#x", w, st);
	}
	printf("RESULT %016llx\n", (unsigned long long)result);
	return tl_finish();
}
