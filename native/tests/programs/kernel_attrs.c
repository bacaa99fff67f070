/*
 * Per-process attributes the kernel keeps that a fresh process does not
 * have: child subreaper, a parent-death signal (SIGUSR2), a raised
 * oom_score_adj, THP disabled, no_new_privs, private and global expedited
 * membarrier registrations, and scheduling policy SCHED_BATCH with nice 7 in both of
 * its threads (the second thread made after they were set).
 */
#include "testlib.h"
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define NICE 7

static int pipe_go[2], pipe_done[2];
static volatile pid_t worker_tid;

static void on_usr2(int sig) { (void)sig; }

static int read_oom_score_adj(void)
{
	char buf[32] = "";
	if (tl_read_file("/proc/self/oom_score_adj", buf, sizeof(buf) - 1) <= 0)
		return -10000;
	return atoi(buf);
}

/* The second thread reports its own policy and nice once told to. */
static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	char c;
	if (read(pipe_go[0], &c, 1) != 1)
		return NULL;
	int report[2] = { sched_getscheduler(0), getpriority(PRIO_PROCESS, 0) };
	ssize_t ignored = write(pipe_done[1], report, sizeof(report));
	(void)ignored;
	return NULL;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	signal(SIGUSR2, on_usr2);
	if (pipe(pipe_go) || pipe(pipe_done)) {
		tl_fail("pipe");
		return tl_finish();
	}
	TL_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	TL_CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR2) == 0, "PR_SET_PDEATHSIG: %s", strerror(errno));
	TL_CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0, "PR_SET_THP_DISABLE: %s", strerror(errno));
	TL_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	TL_CHECK(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0,
		 "membarrier register: %s", strerror(errno));
	TL_CHECK(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0,
		 "membarrier register global: %s", strerror(errno));
	/* raising it is allowed to anyone */
	int oom = read_oom_score_adj() + 123;
	if (oom > 1000)
		oom = 1000;
	char text[16];
	int len = snprintf(text, sizeof(text), "%d", oom);
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	TL_CHECK(f && fwrite(text, 1, (size_t)len, f) == (size_t)len && fclose(f) == 0, "write oom_score_adj");
	TL_CHECK(read_oom_score_adj() == oom, "oom_score_adj %d, wrote %d", read_oom_score_adj(), oom);
	struct sched_param none = { 0 };
	TL_CHECK(sched_setscheduler(0, SCHED_BATCH, &none) == 0, "SCHED_BATCH: %s", strerror(errno));
	TL_CHECK(setpriority(PRIO_PROCESS, 0, NICE) == 0, "nice %d: %s", NICE, strerror(errno));
	pthread_t t;
	TL_CHECK(pthread_create(&t, NULL, worker, NULL) == 0, "pthread_create");
	while (!worker_tid)
		tl_sleep_ms(1);

	tl_ready();
	tl_wait_go();

	int v = -1;
	TL_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 1, "child subreaper %d, was 1", v);
	v = -1;
	TL_CHECK(prctl(PR_GET_PDEATHSIG, &v) == 0 && v == SIGUSR2, "parent-death signal %d, was %d (SIGUSR2)", v, SIGUSR2);
	TL_CHECK(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1, "THP disable %d, was 1", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	TL_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs %d, was 1", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	TL_CHECK(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0,
		 "membarrier private expedited: %s (the registration is lost)", strerror(errno));
	long registered = syscall(SYS_membarrier, 1 << 9 /* MEMBARRIER_CMD_GET_REGISTRATIONS */, 0, 0);
	TL_CHECK(registered >= 0 && registered & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
		 "the global expedited membarrier registration is lost (registrations %#lx)", registered);
	TL_CHECK(read_oom_score_adj() == oom, "oom_score_adj %d, was %d", read_oom_score_adj(), oom);
	TL_CHECK(sched_getscheduler(0) == SCHED_BATCH, "policy %d, was SCHED_BATCH (%d)", sched_getscheduler(0), SCHED_BATCH);
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, 0);
	TL_CHECK(nice_now == NICE, "nice %d, was %d", nice_now, NICE);

	int report[2] = { -1, -1 };
	TL_CHECK(write(pipe_go[1], "g", 1) == 1, "write to the worker");
	TL_CHECK(read(pipe_done[0], report, sizeof(report)) == sizeof(report), "no report from the worker thread");
	TL_CHECK(report[0] == SCHED_BATCH, "worker thread policy %d, was SCHED_BATCH", report[0]);
	TL_CHECK(report[1] == NICE, "worker thread nice %d, was %d", report[1], NICE);
	pthread_join(t, NULL);
	return tl_finish();
}
