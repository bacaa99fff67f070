/*
 * Shared memory objects held open, not only mapped: a memfd (read and
 * written through its descriptor, at an offset) shared with a child, and an
 * unlinked POSIX shm file.  After the restart their contents and offsets
 * are back and the memfd is still shared.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int mfd = memfd_create("cryo-held", 0);
	char buf[8192];
	tl_fill(buf, sizeof(buf), 31);
	if (write(mfd, buf, sizeof(buf)) != sizeof(buf))
		return 1;
	lseek(mfd, 100, SEEK_SET);
	char name[64];
	snprintf(name, sizeof(name), "/cryo-held-%d", getpid());
	int shm = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	shm_unlink(name);
	tl_fill(buf, 4096, 32);
	if (write(shm, buf, 4096) != 4096)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		tl_wait_go();
		_exit(pwrite(mfd, "C", 1, 5000) == 1 ? 0 : 1);
	}
	tl_ready();
	tl_wait_go();
	if (lseek(mfd, 0, SEEK_CUR) != 100)
		tl_fail("the memfd's offset is not 100");
	int st;
	waitpid(child, &st, 0);
	char c = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || pread(mfd, &c, 1, 5000) != 1 || c != 'C')
		tl_fail("the child's write to the memfd is not visible: no longer shared");
	pwrite(mfd, (char[]){ (char)tl_pattern_byte(31, 5000) }, 1, 5000);
	if (pread(mfd, buf, 8192, 0) != 8192)
		tl_fail("the memfd lost its size");
	tl_check_pattern("memfd", buf, 8192, 31);
	if (pread(shm, buf, 4096, 0) != 4096)
		tl_fail("the shm file lost its size");
	tl_check_pattern("unlinked shm", buf, 4096, 32);
	return tl_finish();
}
