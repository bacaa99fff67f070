/*
 * A MAP_SHARED mapping of /dev/zero (shared memory the kernel names
 * "/dev/zero (deleted)"), made before a fork: after the restart parent and
 * child still share it, both ways, with the contents it had.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define LEN (16 * 4096UL)

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int fd = open("/dev/zero", O_RDWR);
	volatile char *m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || m == MAP_FAILED)
		return 2;
	close(fd);
	tl_fill((char *)m, LEN / 2, 40);
	pid_t child = fork();
	if (child == 0) {
		tl_wait_go();
		int ok = tl_find_mismatch((char *)m, LEN / 2, 40) < 0;
		m[LEN - 1] = 'c';                       /* for the parent to see */
		for (int i = 0; i < 2000 && m[LEN - 2] != 'p'; i++)
			tl_sleep_ms(5);
		_exit(ok && m[LEN - 2] == 'p' ? 0 : 1);
	}
	tl_ready();
	tl_wait_go();
	tl_check_pattern("the shared /dev/zero mapping", (char *)m, LEN / 2, 40);
	for (int i = 0; i < 2000 && m[LEN - 1] != 'c'; i++)
		tl_sleep_ms(5);
	TL_CHECK(m[LEN - 1] == 'c', "the child's write is not seen by the parent");
	m[LEN - 2] = 'p';
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		tl_fail("the child does not share the mapping (or lost its contents)");
	return tl_finish();
}
