/*
 * cryo-demo-counter: the computation `cryo demo` checkpoints, kills and
 * restarts.  Every 200 ms it prints the next step of a deterministic
 * computation (a running sum and a Fibonacci number mod 10^9), so the output
 * after a restart shows at a glance that the state came back: the step
 * carries on from the checkpointed one and the numbers follow on exactly.
 *
 *   cryo-demo-counter [STEPS]      (default 40)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define STEP_INTERVAL_NS (200 * 1000 * 1000L)
#define FIB_MODULUS      1000000000ULL

/* Under Yama ptrace_scope=1 only an ancestor may ptrace us, and `cryo demo`
 * deliberately is not our parent: allow any tracer of the same user. */
static void allow_checkpoint_by_non_parent(void)
{
#ifdef PR_SET_PTRACER
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);   /* fails harmlessly without Yama */
#endif
}

/* Sleeps the whole interval even if a checkpoint interrupts the sleep. */
static void sleep_one_step(void)
{
	struct timespec left = { .tv_sec = 0, .tv_nsec = STEP_INTERVAL_NS };
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 40;
	uint64_t sum = 0, fib_prev = 0, fib = 1;

	allow_checkpoint_by_non_parent();
	setvbuf(stdout, NULL, _IOLBF, 0);   /* one line per step, even into a file */

	for (int step = 1; step <= steps; step++) {
		sum += (uint64_t)step;
		uint64_t next = (fib_prev + fib) % FIB_MODULUS;
		fib_prev = fib;
		fib = next;
		printf("[pid %d] step %2d/%d  sum %4" PRIu64 "  fib %9" PRIu64 "\n",
		       (int)getpid(), step, steps, sum, fib_prev);
		sleep_one_step();
	}
	printf("[pid %d] done\n", (int)getpid());
	return 0;
}
