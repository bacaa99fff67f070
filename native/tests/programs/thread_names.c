/*
 * Each thread has a name of its own (prctl PR_SET_NAME / pthread_setname_np),
 * the leader too; after the restart every thread still has its own name,
 * seen by pthread_getname_np and in /proc/self/task/TID/comm, and the
 * threads still work.
 */
#include "testlib.h"
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define NR_WORKERS 3
static const char *const names[NR_WORKERS] = { "worker-alpha", "w2", "fifteen-chars-x" };
static pthread_t workers[NR_WORKERS];
static pid_t worker_tid[NR_WORKERS];
static int go_pipe[NR_WORKERS][2], done_pipe[2];

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	char c;
	prctl(PR_SET_NAME, names[i]);
	__atomic_store_n(&worker_tid[i], (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	if (read(go_pipe[i][0], &c, 1) == 1) {
		char now[16] = "";
		prctl(PR_GET_NAME, now);
		c = strcmp(now, names[i]) ? 'x' : 'o';
		if (write(done_pipe[1], &c, 1) != 1)
			return NULL;
	}
	return NULL;
}

static void check_comm_file(pid_t tid, const char *want)
{
	char path[64], got[64] = "";
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	FILE *f = fopen(path, "r");
	if (!f) {
		tl_fail("thread %d is gone: %s", tid, strerror(errno));
		return;
	}
	if (fgets(got, sizeof(got), f))
		got[strcspn(got, "\n")] = 0;
	fclose(f);
	TL_CHECK(!strcmp(got, want), "thread %d is named \"%s\", was \"%s\"", tid, got, want);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (pipe(done_pipe))
		return 1;
	prctl(PR_SET_NAME, "leader-name");
	for (int i = 0; i < NR_WORKERS; i++)
		if (pipe(go_pipe[i]) || pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i)) {
			tl_fail("setup: %s", strerror(errno));
			return tl_finish();
		}
	for (int i = 0; i < NR_WORKERS; i++)
		while (!__atomic_load_n(&worker_tid[i], __ATOMIC_SEQ_CST))
			tl_sleep_ms(1);
	for (int i = 0; i < NR_WORKERS; i++)
		check_comm_file(worker_tid[i], names[i]);   /* before: the test itself is sound */

	tl_ready();
	tl_wait_go();

	check_comm_file(getpid(), "leader-name");
	for (int i = 0; i < NR_WORKERS; i++) {
		char name[16] = "";
		check_comm_file(worker_tid[i], names[i]);
		TL_CHECK(pthread_getname_np(workers[i], name, sizeof(name)) == 0 && !strcmp(name, names[i]),
			 "pthread_getname_np of worker %d: \"%s\"", i, name);
	}
	for (int i = 0; i < NR_WORKERS; i++) {
		char c = 0;
		TL_CHECK(write(go_pipe[i][1], "g", 1) == 1, "wake worker %d", i);
		TL_CHECK(read(done_pipe[0], &c, 1) == 1 && c == 'o', "a worker saw a wrong name of its own (%c)", c);
	}
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(workers[i], NULL);
	return tl_finish();
}
