/*
 * Threads: eight of them, each blocked somewhere different at checkpoint
 * time (a mutex, a condition variable, a raw futex, nanosleep, a pthread
 * barrier, spinning on its own TLS, read() on a pipe), each with its own blocked mask, a
 * signal pending for it alone, its own alternate signal stack and rseq
 * area.  After the restart every thread must wake where it was and finish,
 * and pthread synchronization must keep working.
 */
#include "testlib.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#define NTHREADS 8

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_ready;
static atomic_int futex_word;
static atomic_int started, spin_stop;
static pthread_barrier_t barrier;
static __thread long tls_value;
static volatile sig_atomic_t got_usr2[NTHREADS];
static char altstacks[NTHREADS][65536];
static pid_t tids[NTHREADS];
static int feed[2];                     /* the last thread waits in read() on it */
static long results[NTHREADS];

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	for (int i = 0; i < NTHREADS; i++)
		if (tids[i] == (pid_t)syscall(SYS_gettid))
			got_usr2[i] = 1;
}

static void own_signal_setup(int i)
{
	stack_t ss = { .ss_sp = altstacks[i], .ss_size = sizeof(altstacks[i]) };
	sigaltstack(&ss, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + i);          /* a mask of its own */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	tids[i] = (pid_t)syscall(SYS_gettid);
	tls_value = 1000 + i;
	own_signal_setup(i);
	atomic_fetch_add(&started, 1);

	if (i == NTHREADS - 1) {                /* blocked in read() on a pipe */
		char c;
		if (read(feed[0], &c, 1) != 1 || c != 'x')
			tl_fail("thread %d: read() on the pipe did not get its byte", i);
		goto after_wait;
	}
	switch (i % 6) {
	case 0:                                 /* blocked on a mutex the main thread holds */
		pthread_mutex_lock(&mutex);
		pthread_mutex_unlock(&mutex);
		break;
	case 1:                                 /* waiting on a condition variable */
		pthread_mutex_lock(&cond_mutex);
		while (!cond_ready)
			pthread_cond_wait(&cond, &cond_mutex);
		pthread_mutex_unlock(&cond_mutex);
		break;
	case 2:                                 /* a raw futex wait */
		while (atomic_load(&futex_word) == 0)
			syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		break;
	case 3:                                 /* nanosleep in small steps until told */
		while (!atomic_load(&spin_stop))
			tl_sleep_ms(20);
		break;
	case 4:                                 /* a barrier the main thread completes */
		pthread_barrier_wait(&barrier);
		break;
	case 5:                                 /* computing, not in any syscall */
		while (!atomic_load(&spin_stop))
			results[i]++;
		break;
	}
after_wait:
	/* after the restart: its own state is intact */
	if (tls_value != 1000 + i)
		tl_fail("thread %d: TLS value %ld", i, tls_value);
	sigset_t pending, blocked;
	sigpending(&pending);
	pthread_sigmask(SIG_SETMASK, NULL, &blocked);
	if (!sigismember(&pending, SIGUSR2))
		tl_fail("thread %d: its pending SIGUSR2 is gone", i);
	if (!sigismember(&blocked, SIGRTMIN + i) || sigismember(&blocked, SIGRTMIN + (i + 1) % NTHREADS))
		tl_fail("thread %d: blocked mask differs", i);
	stack_t ss;
	sigaltstack(NULL, &ss);
	if (ss.ss_sp != altstacks[i])
		tl_fail("thread %d: alternate stack differs", i);
	if (sched_getcpu() < 0)
		tl_fail("thread %d: sched_getcpu fails", i);
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);    /* delivered to this thread now */
	if (!got_usr2[i])
		tl_fail("thread %d: SIGUSR2 was not delivered to it", i);
	results[i] = 1000 + i;
	return (void *)(long)(i + 1);
}

static void *plain_thread(void *arg)
{
	return sched_getcpu() >= 0 ? arg : NULL;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	struct sigaction sa = { .sa_sigaction = on_usr2, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&barrier, NULL, 2);
	if (pipe(feed) < 0)
		return 1;
	pthread_mutex_lock(&mutex);

	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	while (atomic_load(&started) < NTHREADS)
		tl_sleep_ms(5);
	for (int i = 0; i < NTHREADS; i++)
		syscall(SYS_tgkill, getpid(), tids[i], SIGUSR2);    /* pending, each for one thread */
	tl_sleep_ms(50);

	tl_ready();
	tl_wait_go();

	/* wake every kind of waiter, then join: each must have finished its work */
	pthread_mutex_unlock(&mutex);
	pthread_mutex_lock(&cond_mutex);
	cond_ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&cond_mutex);
	atomic_store(&futex_word, 1);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, NTHREADS, NULL, NULL, 0);
	atomic_store(&spin_stop, 1);
	pthread_barrier_wait(&barrier);
	if (write(feed[1], "x", 1) != 1)
		tl_fail("cannot feed the thread blocked in read()");
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		if (pthread_join(th[i], &ret) != 0 || ret != (void *)(long)(i + 1))
			tl_fail("thread %d did not end right", i);
		if (results[i] != 1000 + i)
			tl_fail("thread %d: result %ld", i, results[i]);
	}
	/* and new threads still work */
	static int token;
	pthread_t extra;
	void *ret = NULL;
	if (pthread_create(&extra, NULL, plain_thread, &token) != 0 || pthread_join(extra, &ret) != 0 || ret != &token)
		tl_fail("cannot start a thread after the restart");
	return tl_finish();
}
