/*
 * A System V semaphore set and message queue used by a parent and its
 * child: at checkpoint time the set holds values and the queue holds
 * messages; after the restart both have the same ids and contents, and the
 * two processes keep synchronizing and talking through them.
 */
#include "testlib.h"
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>

struct message {
	long mtype;
	char text[32];
};

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	unsigned short values[3] = { 7, 0, 2 };
	semctl(sem, 0, SETALL, values);
	struct message m = { 1, "first" };
	msgsnd(q, &m, sizeof(m.text), 0);
	m.mtype = 2;
	strcpy(m.text, "second");
	msgsnd(q, &m, sizeof(m.text), 0);
	pid_t child = fork();
	if (child == 0) {
		struct sembuf take = { 2, -1, 0 };
		semop(sem, &take, 1);                   /* the child has used the set too */
		tl_wait_go();
		struct sembuf wait_one = { 1, -1, 0 };  /* blocks until the parent posts */
		if (semop(sem, &wait_one, 1) < 0)
			_exit(2);
		struct message r = { 3, "reply" };
		_exit(msgsnd(q, &r, sizeof(r.text), 0) == 0 ? 0 : 1);
	}
	tl_sleep_ms(50);
	printf("IDS %d %d\n", sem, q);
	tl_ready();
	tl_wait_go();
	unsigned short now[3];
	if (semctl(sem, 0, GETALL, now) < 0 || now[0] != 7 || now[1] != 0 || now[2] != 1)
		tl_fail("semaphore values after the restart: %d %d %d, not 7 0 1", now[0], now[1], now[2]);
	struct message r;
	if (msgrcv(q, &r, sizeof(r.text), 0, IPC_NOWAIT) < 0 || r.mtype != 1 || strcmp(r.text, "first") ||
	    msgrcv(q, &r, sizeof(r.text), 0, IPC_NOWAIT) < 0 || r.mtype != 2 || strcmp(r.text, "second"))
		tl_fail("the queued messages did not come back in order");
	struct sembuf post = { 1, 1, 0 };
	semop(sem, &post, 1);
	if (msgrcv(q, &r, sizeof(r.text), 3, 0) < 0 || strcmp(r.text, "reply"))
		tl_fail("no reply from the child through the queue");
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the child failed");
	semctl(sem, 0, IPC_RMID);
	msgctl(q, IPC_RMID, NULL);
	return tl_finish();
}
