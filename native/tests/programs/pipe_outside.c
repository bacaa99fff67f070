/*
 * A pipe whose other end is held by a process outside the tree (a
 * grandchild that left it, re-parented): argument "reader" keeps the read
 * end (fd 3, the writer is outside), "writer" the write end (fd 3, the
 * reader is outside).  The checkpoint must refuse it; the program carries
 * on.  The outside process leaves once this one is gone (EOF on a pipe
 * only this one can write).
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int keep_read = argc > 2 && !strcmp(argv[2], "reader");
	int data[2], life[2];
	if (pipe(data) < 0 || pipe(life) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		if (fork() == 0) {
			char c;
			close(data[keep_read ? 0 : 1]);
			close(life[1]);
			while (read(life[0], &c, 1) > 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	close(data[keep_read ? 1 : 0]);
	close(life[0]);
	int mine = data[keep_read ? 0 : 1];
	if (mine != 3 && (dup2(mine, 3) < 0 || close(mine) < 0))
		return 1;
	tl_ready();
	tl_wait_go();
	TL_CHECK(fcntl(3, F_GETFD) >= 0, "fd 3 is gone");
	return tl_finish();
}
