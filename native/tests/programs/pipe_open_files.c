/*
 * O_NONBLOCK belongs to the open file, not to the pipe: a FIFO opened
 * several times (two read ends and two write ends with different
 * O_NONBLOCK, one O_RDWR), an anonymous pipe reopened through /proc with
 * O_NONBLOCK, and a child that opens the FIFO once more for itself.  After
 * the restart every open file has its own flags and access mode, and
 * changing one's flags leaves the others alone.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void expect_flags(int fd, int accmode, int nonblock, const char *what)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != accmode || !!(fl & O_NONBLOCK) != nonblock)
		tl_fail("%s: flags %#x, not access mode %d%s", what, fl, accmode, nonblock ? " + O_NONBLOCK" : "");
}

/* Setting O_NONBLOCK on a leaves b as it was: two open files. */
static void expect_apart(int a, int b, const char *what)
{
	int before = fcntl(b, F_GETFL);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) ^ O_NONBLOCK);
	if (fcntl(b, F_GETFL) != before)
		tl_fail("%s: one open file, not two", what);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) ^ O_NONBLOCK);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char path[512], self[64];
	tl_work_path(path, sizeof(path), "twice.fifo");
	if (mkfifo(path, 0600) < 0)
		return 1;
	int r_nb = open(path, O_RDONLY | O_NONBLOCK);
	int w = open(path, O_WRONLY);
	int w_nb = open(path, O_WRONLY | O_NONBLOCK);
	int r = open(path, O_RDONLY | O_NONBLOCK);
	int rw = open(path, O_RDWR);
	int p[2];
	if (r_nb < 0 || w < 0 || w_nb < 0 || r < 0 || rw < 0 || pipe(p) < 0)
		return 1;
	fcntl(r, F_SETFL, 0);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", p[0]);
	int p_nb = open(self, O_RDONLY | O_NONBLOCK);
	if (p_nb < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		int mine = open(path, O_RDONLY | O_NONBLOCK);
		fcntl(mine, F_SETFL, 0);
		tl_wait_go();
		expect_flags(mine, O_RDONLY, 0, "the child's own read end");
		expect_flags(r_nb, O_RDONLY, 1, "the child's inherited read end");
		expect_apart(mine, r_nb, "the child's own and inherited read ends");
		_exit(tl_failures ? 1 : 0);
	}
	tl_sleep_ms(50);
	tl_ready();
	tl_wait_go();
	expect_flags(r_nb, O_RDONLY, 1, "FIFO read end opened non-blocking");
	expect_flags(r, O_RDONLY, 0, "FIFO read end made blocking");
	expect_flags(w, O_WRONLY, 0, "FIFO write end");
	expect_flags(w_nb, O_WRONLY, 1, "FIFO write end opened non-blocking");
	expect_flags(rw, O_RDWR, 0, "FIFO opened for reading and writing");
	expect_flags(p[0], O_RDONLY, 0, "pipe read end");
	expect_flags(p_nb, O_RDONLY, 1, "pipe read end reopened non-blocking");
	expect_apart(r_nb, r, "the two FIFO read ends");
	expect_apart(w, w_nb, "the two FIFO write ends");
	expect_apart(p_nb, p[0], "the two pipe read ends");
	char buf[8] = {0};
	if (write(rw, "rw", 2) != 2 || read(r_nb, buf, sizeof(buf)) != 2 || strcmp(buf, "rw"))
		tl_fail("the O_RDWR end does not write into the FIFO");
	if (write(w, "w", 1) != 1 || read(rw, buf, 1) != 1 || buf[0] != 'w')
		tl_fail("the O_RDWR end does not read from the FIFO");
	if (write(p[1], "p", 1) != 1 || read(p_nb, buf, 1) != 1 || buf[0] != 'p')
		tl_fail("the reopened pipe end does not read the pipe");
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail("the child's side failed");
	return tl_finish();
}
