/*
 * A descriptor table that is not one per process, which Cryo refuses:
 * "process": a child made by clone(CLONE_FILES) shares the parent's table;
 * "thread": a thread gave itself a table of its own (unshare(CLONE_FILES)).
 * After the refusal both carry on: the child sees a descriptor the parent
 * opens after the go; the thread's table is still its own.
 */
#include "testlib.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int thread_fd = -1, thread_ready, thread_go, thread_ok;

static void *own_table_thread(void *arg)
{
	if (unshare(CLONE_FILES) == 0)
		thread_fd = open("/dev/null", O_RDONLY);
	__atomic_store_n(&thread_ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&thread_go, __ATOMIC_SEQ_CST))
		tl_sleep_ms(5);
	__atomic_store_n(&thread_ok, thread_fd >= 0 && fcntl(thread_fd, F_GETFD) >= 0, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, own_table_thread, NULL))
			return 1;
		while (!__atomic_load_n(&thread_ready, __ATOMIC_SEQ_CST))
			tl_sleep_ms(1);
		TL_CHECK(thread_fd >= 0, "unshare(CLONE_FILES): %s", strerror(errno));
		tl_ready();
		tl_wait_go();
		__atomic_store_n(&thread_go, 1, __ATOMIC_SEQ_CST);
		pthread_join(t, NULL);
		TL_CHECK(thread_ok, "the thread lost its own descriptor");
		return tl_finish();
	}
	int marker = 100;
	pid_t child = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (child == 0) {
		tl_wait_go();
		for (int i = 0; i < 2000; i++) {
			if (fcntl(marker, F_GETFD) >= 0)
				_exit(0);       /* the parent's new descriptor is in our table too */
			tl_sleep_ms(5);
		}
		_exit(1);
	}
	if (child < 0)
		return 1;
	tl_ready();
	tl_wait_go();
	int fd = open("/dev/null", O_RDONLY);
	TL_CHECK(fd >= 0 && dup2(fd, marker) == marker, "dup2: %s", strerror(errno));
	int status;
	TL_CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "the child does not share the table any more");
	return tl_finish();
}
