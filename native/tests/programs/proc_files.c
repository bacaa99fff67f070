/*
 * /proc files of the tree's own processes and O_PATH descriptors:
 *   /proc/PID/status of the root, read part way (its offset kept),
 *   /proc/CHILD/stat of a child, /proc/PID as a directory (openat),
 *   /proc/PID/ns/net and ns/pid, /proc/PID/task/PID/comm,
 *   O_PATH of a file, O_PATH|O_NOFOLLOW of a symbolic link.
 * After the restart each names the same process (or namespace, file, link)
 * again.  With "outside": a /proc file of the program's parent, outside
 * the tree, which Cryo refuses; the program carries on.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int open_proc(pid_t pid, const char *rest, int flags)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d%s%s", pid, *rest ? "/" : "", rest);
	int fd = open(path, flags);
	if (fd < 0)
		tl_fail("open %s: %s", path, strerror(errno));
	return fd;
}

/* The number on line "key" of an open /proc status file, read from 0. */
static long status_field(int fd, const char *key)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *at = strstr(buf, key);
	return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

static unsigned long ino_of_fd(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

static unsigned long ino_of(const char *path, int follow)
{
	struct stat st;
	return (follow ? stat(path, &st) : lstat(path, &st)) ? 0 : (unsigned long)st.st_ino;
}

static int outside(void)
{
	int fd = open_proc(getppid(), "status", O_RDONLY);
	tl_ready();
	tl_wait_go();
	TL_CHECK(status_field(fd, "Pid:") == getppid(), "the parent's status file changed");
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "outside"))
		return outside();
	int hold[2];
	if (pipe(hold))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(hold[1]);
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(hold[0]);

	char file[256], link[256];
	tl_work_path(file, sizeof(file), "opath-file");
	tl_work_path(link, sizeof(link), "opath-link");
	int w = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (w < 0 || write(w, "x", 1) != 1 || symlink(file, link))
		tl_fail("setup: %s", strerror(errno));
	close(w);

	pid_t me = getpid();
	int status = open_proc(me, "status", O_RDONLY);
	char skip[16];
	if (read(status, skip, sizeof(skip)) != sizeof(skip))
		tl_fail("read status");
	off_t status_pos = lseek(status, 0, SEEK_CUR);
	int child_stat = open_proc(child, "stat", O_RDONLY);
	int dir = open_proc(me, "", O_RDONLY | O_DIRECTORY);
	int net = open_proc(me, "ns/net", O_RDONLY);
	int pidns = open_proc(me, "ns/pid", O_RDONLY);
	char task_comm[64];
	snprintf(task_comm, sizeof(task_comm), "task/%d/comm", me);
	int comm = open_proc(me, task_comm, O_RDONLY);
	int opath = open(file, O_PATH);
	int opath_link = open(link, O_PATH | O_NOFOLLOW);
	if (opath < 0 || opath_link < 0)
		tl_fail("O_PATH: %s", strerror(errno));

	tl_ready();
	tl_wait_go();

	TL_CHECK(status_field(status, "Pid:") == getpid(), "/proc status fd shows PID %ld, not %d", status_field(status, "Pid:"), getpid());
	TL_CHECK(lseek(status, 0, SEEK_CUR) == status_pos, "the status fd's offset is %ld, was %ld",
		 (long)lseek(status, 0, SEEK_CUR), (long)status_pos);
	char buf[256] = "";
	TL_CHECK(pread(child_stat, buf, sizeof(buf) - 1, 0) > 0 && atoi(buf) == child, "the child's stat fd shows \"%.20s\", child is %d", buf, child);
	int c = openat(dir, "status", O_RDONLY);
	TL_CHECK(c >= 0 && status_field(c, "Pid:") == getpid(), "the /proc/PID directory fd is another process's");
	TL_CHECK(ino_of_fd(net) == ino_of("/proc/self/ns/net", 1), "ns/net fd names another network namespace");
	TL_CHECK(ino_of_fd(pidns) == ino_of("/proc/self/ns/pid", 1), "ns/pid fd names another PID namespace");
	memset(buf, 0, sizeof(buf));
	char own[64] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	if (f && fgets(own, sizeof(own), f))
		fclose(f);
	TL_CHECK(pread(comm, buf, sizeof(buf) - 1, 0) > 0 && !strcmp(buf, own), "task comm fd shows \"%s\", not \"%s\"", buf, own);
	TL_CHECK((fcntl(opath, F_GETFL) & O_PATH) && ino_of_fd(opath) == ino_of(file, 1), "the O_PATH fd of the file changed");
	struct stat st;
	TL_CHECK(fstatat(opath_link, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode) && st.st_ino == ino_of(link, 0),
		 "the O_PATH|O_NOFOLLOW fd no longer names the link");
	char target[256] = "";
	TL_CHECK(readlinkat(opath_link, "", target, sizeof(target) - 1) > 0 && !strcmp(target, file),
		 "readlinkat through the O_PATH fd: \"%s\"", target);
	close(hold[1]);
	int ws;
	TL_CHECK(waitpid(child, &ws, 0) == child && WIFEXITED(ws), "the child did not end");
	return tl_finish();
}
