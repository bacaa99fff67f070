/*
 * A futex wake crosses the restart: a parent asleep at checkpoint time on two
 * unlinked POSIX semaphores (sem_wait in a thread, an untimed FUTEX_WAIT the
 * kernel restarts by itself; sem_timedwait in the main thread, an absolute
 * FUTEX_WAIT_BITSET behind a restart block) is woken by its restarted child's
 * sem_post, as a real program expects: it sleeps, it does not poll.
 */
#include "testlib.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/wait.h>
#include <time.h>

static sem_t *open_unlinked(const char *tag)
{
	char name[64];
	snprintf(name, sizeof(name), "/cryo-sem-%s-%d", tag, getpid());
	sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (sem == SEM_FAILED) {
		perror("sem_open");
		exit(1);
	}
	sem_unlink(name);
	return sem;
}

static void *untimed_waiter(void *sem)
{
	int r;
	while ((r = sem_wait(sem)) < 0 && errno == EINTR)
		;
	return (void *)(long)r;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	sem_t *untimed = open_unlinked("untimed"), *timed = open_unlinked("timed");
	pid_t child = fork();
	if (child == 0) {
		tl_wait_go();
		sem_post(untimed);
		sem_post(timed);
		_exit(0);
	}
	pthread_t waiter;
	pthread_create(&waiter, NULL, untimed_waiter, untimed);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 50;  /* far beyond the test's run: only a lost wake reaches it */
	tl_ready();
	int r;
	while ((r = sem_timedwait(timed, &deadline)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		int value = -1;
		sem_getvalue(timed, &value);
		tl_fail("sem_timedwait: %s with the value at %d: the child's wake was lost", strerror(errno), value);
	}
	void *untimed_rc;
	pthread_join(waiter, &untimed_rc);
	TL_CHECK(untimed_rc == NULL, "sem_wait in the thread failed");
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the child failed");
	return tl_finish();
}
