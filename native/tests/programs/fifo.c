/*
 * A FIFO (named pipe) between a parent and its child, with data in it at
 * checkpoint time: after the restart the parent reads it, the child keeps
 * writing, and a new open of the FIFO's path reaches the same pipe.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[512];
	tl_work_path(path, sizeof(path), "the.fifo");
	if (mkfifo(path, 0600) < 0)
		return 1;
	int r = open(path, O_RDONLY | O_NONBLOCK);
	pid_t child = fork();
	if (child == 0) {
		close(r);
		int w = open(path, O_WRONLY);
		if (write(w, "before", 6) != 6)
			_exit(2);
		tl_wait_go();
		_exit(write(w, "after", 5) == 5 ? 0 : 1);
	}
	tl_sleep_ms(100);
	tl_ready();
	tl_wait_go();
	char buf[32] = {0};
	size_t got = 0;
	for (int i = 0; i < 200 && got < 11; i++) {
		ssize_t n = read(r, buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else
			tl_sleep_ms(10);
	}
	if (strcmp(buf, "beforeafter"))
		tl_fail("read '%s' from the FIFO, not 'beforeafter'", buf);
	int w2 = open(path, O_WRONLY | O_NONBLOCK);       /* the path leads to the same pipe */
	if (w2 < 0 || write(w2, "x", 1) != 1 || read(r, buf, 1) != 1 || buf[0] != 'x')
		tl_fail("a new open of the FIFO does not reach the restored pipe");
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the writer failed");
	return tl_finish();
}
