/*
 * System V shared memory between a parent and its child: a private segment
 * (removed once detached, the usual way) attached by both, and a keyed one
 * that stays; both keep their ids, addresses and contents, and stay shared.
 */
#include "testlib.h"
#include <sys/shm.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int priv = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600);
	key_t key = (key_t)(0x43520000 | (getpid() & 0xffff));
	int keyed = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600);
	char *a = shmat(priv, NULL, 0), *b = shmat(keyed, NULL, 0);
	shmctl(priv, IPC_RMID, NULL);
	tl_fill(a, 65536, 11);
	tl_fill(b, 8192, 12);
	volatile long *flag = (volatile long *)(a + 32768);
	pid_t child = fork();
	if (child == 0) {
		tl_wait_go();
		for (int i = 0; i < 500 && *flag != 1; i++)
			tl_sleep_ms(10);
		*flag = 2;                                  /* answer through the segment */
		_exit(0);
	}
	tl_ready();
	tl_wait_go();
	if (shmget(key, 0, 0) != keyed)
		tl_fail("the keyed segment has another id after the restart");
	a[32768 + 100] = tl_pattern_byte(11, 32768 + 100);
	*flag = 1;
	for (int i = 0; i < 500 && *flag != 2; i++)
		tl_sleep_ms(10);
	if (*flag != 2)
		tl_fail("the child's write to the segment is not visible: no longer shared");
	waitpid(child, NULL, 0);
	memset((char *)flag, 0, sizeof(long));
	for (size_t i = 0; i < sizeof(long); i++)
		a[32768 + i] = tl_pattern_byte(11, 32768 + i);
	tl_check_pattern("private segment", a, 65536, 11);
	tl_check_pattern("keyed segment", b, 8192, 12);
	shmdt(b);
	shmctl(keyed, IPC_RMID, NULL);
	return tl_finish();
}
