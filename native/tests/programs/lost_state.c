/*
 * State a restart would lose, which Cryo refuses at checkpoint time:
 *   "inotify-queued": an inotify descriptor with an event not yet read;
 *   "fanotify":       a fanotify descriptor;
 *   "sem-undo":       a System V semaphore adjusted with SEM_UNDO.
 *   "sem-undo-threads": the same in a multi-threaded process (whose undo
 *                     list, shared with its threads, kcmp always sees).
 * After the refusal the program checks its state is untouched: the event
 * is still there to read, the fanotify group still reports, the semaphore
 * still holds its value and the undo still applies when a child exits.
 */
#include "testlib.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int inotify_queued(void)
{
	char dir[256], file[300], buf[4096];
	tl_work_path(dir, sizeof(dir), "watched");
	mkdir(dir, 0700);
	int fd = inotify_init1(IN_NONBLOCK);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0)
		tl_fail("inotify: %s", strerror(errno));
	snprintf(file, sizeof(file), "%s/new", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	tl_ready();
	tl_wait_go();
	ssize_t n = read(fd, buf, sizeof(buf));
	struct inotify_event *ev = (struct inotify_event *)buf;
	TL_CHECK(n > 0 && ev->mask & IN_CREATE && !strcmp(ev->name, "new"), "the queued event is gone");
	return tl_finish();
}

static int fanotify(void)
{
	char file[256];
	tl_work_path(file, sizeof(file), "marked");
	close(open(file, O_CREAT | O_WRONLY, 0600));
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, file))
		tl_fail("fanotify: %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	close(open(file, O_RDONLY));
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
	TL_CHECK(n >= (ssize_t)sizeof(*m) && m->mask & FAN_OPEN, "the fanotify group no longer reports opens");
	if (n >= (ssize_t)sizeof(*m) && m->fd >= 0)
		close(m->fd);
	return tl_finish();
}

static void *idle_thread(void *unused)
{
	for (;;)
		pause();
	return NULL;
}

static int sem_undo(int threads)
{
	pthread_t thread;
	if (threads && pthread_create(&thread, NULL, idle_thread, NULL))
		tl_fail("pthread_create failed");
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct sembuf up = { 0, 3, SEM_UNDO };
	if (id < 0 || semop(id, &up, 1))
		tl_fail("semop: %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	TL_CHECK(semctl(id, 0, GETVAL) == 3, "the semaphore is %d, was 3", semctl(id, 0, GETVAL));
	pid_t child = fork();
	if (child == 0) {               /* a child's own undo is applied when it exits */
		struct sembuf more = { 0, 2, SEM_UNDO };
		_exit(semop(id, &more, 1) ? 1 : 0);
	}
	int status;
	waitpid(child, &status, 0);
	TL_CHECK(WIFEXITED(status) && !WEXITSTATUS(status) && semctl(id, 0, GETVAL) == 3, "the child's undo did not apply");
	semctl(id, 0, IPC_RMID);
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const char *mode = argc > 2 ? argv[2] : "";
	if (!strcmp(mode, "inotify-queued"))
		return inotify_queued();
	if (!strcmp(mode, "fanotify"))
		return fanotify();
	if (!strcmp(mode, "sem-undo"))
		return sem_undo(0);
	if (!strcmp(mode, "sem-undo-threads"))
		return sem_undo(1);
	fprintf(stderr, "usage: %s GO inotify-queued|fanotify|sem-undo|sem-undo-threads\n", argv[0]);
	return 2;
}
