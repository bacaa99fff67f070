/*
 * Threads pinned to CPUs of their own (as GROMACS's mdrun -pin and OpenMP's
 * OMP_PROC_BIND pin theirs): the leader to the last CPU it may use, a worker
 * to the first.  After the restart each is pinned to its CPU again, whatever
 * CPUs the restarter ran on.  A machine with one CPU cannot tell: SKIP.
 */
#include "testlib.h"
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

static pid_t worker_tid;
static int go_pipe[2];

static void *worker(void *arg)
{
	char c;
	__atomic_store_n(&worker_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	return read(go_pipe[0], &c, 1) == 1 ? NULL : arg;
}

static int pin(pid_t tid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

static void check_pinned(pid_t tid, int cpu, const char *who)
{
	cpu_set_t set;
	if (sched_getaffinity(tid, sizeof(set), &set)) {
		tl_fail("sched_getaffinity of the %s: %s", who, strerror(errno));
		return;
	}
	TL_CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set), "the %s may run on %d CPUs, not only on CPU %d",
		 who, CPU_COUNT(&set), cpu);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	cpu_set_t allowed;
	pthread_t thread;
	int first = -1, last = -1;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) || pipe(go_pipe) ||
	    pthread_create(&thread, NULL, worker, NULL)) {
		tl_fail("setup: %s", strerror(errno));
		return tl_finish();
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed)) {
			first = first < 0 ? cpu : first;
			last = cpu;
		}
	while (!__atomic_load_n(&worker_tid, __ATOMIC_SEQ_CST))
		tl_sleep_ms(1);
	if (first == last) {
		printf("SKIP one CPU\n");
	} else if (pin(0, last) || pin(worker_tid, first)) {
		tl_fail("sched_setaffinity: %s", strerror(errno));
		return tl_finish();
	}
	check_pinned(0, last, "leader");   /* before: the test itself is sound */
	check_pinned(worker_tid, first, "worker");

	tl_ready();
	tl_wait_go();

	check_pinned(0, last, "leader");
	check_pinned(worker_tid, first, "worker");
	TL_CHECK(sched_getcpu() == last, "the leader runs on CPU %d, pinned to %d", sched_getcpu(), last);
	TL_CHECK(write(go_pipe[1], "g", 1) == 1, "wake the worker");
	TL_CHECK(pthread_join(thread, NULL) == 0, "join the worker");
	return tl_finish();
}
