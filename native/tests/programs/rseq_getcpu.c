/*
 * Restartable sequences: glibc registers an rseq area per thread (at the
 * thread pointer + __rseq_offset); after the restart it must still be
 * registered, so cpu_id is a real CPU that agrees with sched_getcpu() and
 * getcpu().
 */
#include "testlib.h"
#include <sched.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

static struct rseq *rseq_area(void)
{
	if (__rseq_size == 0)
		return NULL;
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

static void check_cpu(const char *when)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	int cpu = sched_getcpu();
	TL_CHECK(cpu >= 0 && cpu < ncpu, "%s: sched_getcpu() = %d", when, cpu);
	unsigned int c = 0, node = 0;
	TL_CHECK(syscall(SYS_getcpu, &c, &node, NULL) == 0 && (int)c < ncpu, "%s: getcpu", when);
	struct rseq *rs = rseq_area();
	if (!rs)
		return;
	/* Pin to one CPU so the area and the syscall must agree. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(c, &set);
	sched_setaffinity(0, sizeof(set), &set);
	sched_yield();
	int32_t id = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
	uint32_t start = __atomic_load_n(&rs->cpu_id_start, __ATOMIC_RELAXED);
	TL_CHECK(id == (int32_t)c, "%s: rseq cpu_id = %d, getcpu says %u (area not registered?)", when, id, c);
	TL_CHECK(start == c, "%s: rseq cpu_id_start = %u, getcpu says %u", when, start, c);
	TL_CHECK(sched_getcpu() == (int)c, "%s: sched_getcpu() = %d pinned to %u", when, sched_getcpu(), c);
	CPU_ZERO(&set);
	for (int i = 0; i < ncpu; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (__rseq_size == 0)
		tl_info("INFO rseq not registered by glibc (GLIBC_TUNABLES?)");
	check_cpu("before");
	if (tl_failures)
		return 1;

	tl_ready();
	tl_wait_go();

	check_cpu("after restart");
	/* A second registration is refused with EBUSY: the area is registered. */
	if (rseq_area()) {
		/* glibc registers at least 32 bytes even when __rseq_size is 20. */
		uint32_t len = __rseq_size < 32 ? 32 : __rseq_size;
		long r = syscall(SYS_rseq, rseq_area(), len, 0, RSEQ_SIG);
		TL_CHECK(r == -1 && errno == EBUSY, "rseq re-registration: %ld errno %d (expected EBUSY)", r, errno);
	}
	return tl_finish();
}
