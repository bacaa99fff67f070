/*
 * Memory shared between a parent and its child, kept shared after the
 * restart: an anonymous MAP_SHARED region holding a process-shared mutex and
 * a counter, a memfd mapped by both, and a POSIX named semaphore that was
 * unlinked after sem_open (as Python's multiprocessing does).
 */
#include "testlib.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

struct shared {
	pthread_mutex_t lock;
	long counter;
	long child_says;
	char pattern[8192];
};

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->lock, &attr);
	tl_fill(sh->pattern, sizeof(sh->pattern), 7);

	int mfd = memfd_create("cryo-test", 0);
	if (ftruncate(mfd, 65536) < 0)
		return 1;
	char *mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	tl_fill(mem, 65536, 9);
	close(mfd);

	char name[64];
	snprintf(name, sizeof(name), "/cryo-test-%d", getpid());
	sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	sem_unlink(name);

	pid_t child = fork();
	if (child == 0) {
		tl_wait_go();
		for (int i = 0; i < 1000; i++) {
			pthread_mutex_lock(&sh->lock);
			sh->counter++;
			pthread_mutex_unlock(&sh->lock);
		}
		sh->child_says = 4242;
		mem[100] = 'C';
		sem_post(sem);
		_exit(tl_find_mismatch(sh->pattern, sizeof(sh->pattern), 7) < 0 ? 0 : 1);
	}
	tl_ready();
	tl_wait_go();
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&sh->lock);
		sh->counter++;
		pthread_mutex_unlock(&sh->lock);
	}
	/* the post must reach the parent through the shared semaphore: it sleeps for it, as a
	 * real program does (the deadline is far beyond the test's run) */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 50;
	int r;
	while ((r = sem_timedwait(sem, &deadline)) < 0 && errno == EINTR)
		;
	if (r < 0)
		tl_fail("the child's sem_post did not reach the parent: %s", strerror(errno));
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the child failed");
	if (sh->counter != 2000)
		tl_fail("shared counter is %ld, not 2000: the memory is no longer shared", sh->counter);
	if (sh->child_says != 4242)
		tl_fail("the child's write to anonymous shared memory is not visible");
	if (mem[100] != 'C')
		tl_fail("the child's write to the memfd is not visible");
	mem[100] = tl_pattern_byte(9, 100);
	tl_check_pattern("memfd", mem, 65536, 9);
	return tl_finish();
}
