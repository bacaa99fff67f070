/*
 * deleted_files GO [SPARSE_MIB]: files deleted while still in use.
 *   held:   open O_RDWR at offset 1234, sparse (8 KiB of data, a hole of
 *           SPARSE_MIB MiB, 4 KiB more), also mapped shared;
 *   log:    open O_WRONLY|O_APPEND, written on after the restart;
 *   shared: mapped shared only (its descriptor closed), written through;
 *   priv:   mapped private only, one page written (copied on write).
 * After the restart each must still be deleted, in this directory, with its
 * contents, size, holes, offset and flags; the shared mapping of held must
 * still be the file its descriptor reads.
 */
#include "testlib.h"
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PAGE 4096

static int make(const char *dir, const char *name, int flags, size_t len, uint64_t seed)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, flags | O_CREAT | O_EXCL, 0640);
	char *buf = malloc(len);
	tl_fill(buf, len, seed);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || unlink(path) < 0) {
		perror(path);
		exit(1);
	}
	free(buf);
	return fd;
}

static void check_range(const char *what, int fd, off_t at, size_t len, uint64_t seed)
{
	char *buf = malloc(len);
	if (pread(fd, buf, len, at) != (ssize_t)len)
		tl_fail("%s: cannot read %zu bytes at %lld", what, len, (long long)at);
	else
		tl_check_pattern(what, buf, len, seed);
	free(buf);
}

/* still deleted, still in dir */
static void check_deleted_in(const char *what, const char *link, const char *dir, const char *name)
{
	char target[4096], want[4096];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%s/%s (deleted)", dir, name);
	if (strncmp(target, dir, strlen(dir)) || !strstr(target, "(deleted)"))
		tl_fail("%s is %s, expected a deleted file in %s (was %s)", what, target, dir, want);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	long hole_mib = argc > 2 ? atol(argv[2]) : 4;
	char dirbuf[4096], dir[4096];
	snprintf(dir, sizeof(dir), "%s", dirname(strncpy(dirbuf, tl_go_path, sizeof(dirbuf) - 1)));
	off_t far = (off_t)hole_mib << 20;

	int held = make(dir, "held", O_RDWR, 2 * PAGE, 41);
	char tail[PAGE];
	tl_fill(tail, PAGE, 42);
	if (pwrite(held, tail, PAGE, far) != PAGE)
		return 1;
	lseek(held, 1234, SEEK_SET);
	char *held_map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, held, 0);
	int log = make(dir, "log", O_WRONLY | O_APPEND, 100, 43);
	int fd = make(dir, "shared", O_RDWR, 3 * PAGE, 44);
	char *shared = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	fd = make(dir, "priv", O_RDWR, 2 * PAGE, 45);
	char *priv = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (held_map == MAP_FAILED || shared == MAP_FAILED || priv == MAP_FAILED)
		return 1;
	memcpy(shared + PAGE, "through the mapping", 19);
	memset(priv, 'p', PAGE);

	tl_ready();
	tl_wait_go();

	char link[64];
	struct stat st;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", held);
	check_deleted_in("held", link, dir, "held");
	if (fstat(held, &st) < 0 || st.st_nlink != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0640)
		tl_fail("held: not a deleted regular file of mode 0640 (links %lu, mode %o)",
			(unsigned long)st.st_nlink, (unsigned)st.st_mode);
	if (st.st_size != far + PAGE)
		tl_fail("held: size %lld, expected %lld", (long long)st.st_size, (long long)(far + PAGE));
	if ((long long)st.st_blocks * 512 >= far / 2)
		tl_fail("held: %lld bytes allocated for %lld of data: its hole was filled",
			(long long)st.st_blocks * 512, 3LL * PAGE);
	if (lseek(held, 0, SEEK_CUR) != 1234)
		tl_fail("held: offset %lld, expected 1234", (long long)lseek(held, 0, SEEK_CUR));
	if ((fcntl(held, F_GETFL) & O_ACCMODE) != O_RDWR)
		tl_fail("held: no longer open O_RDWR");
	check_range("held (start)", held, 0, 2 * PAGE, 41);
	check_range("held (after the hole)", held, far, PAGE, 42);
	held_map[10] = 'M';
	char c = 0;
	if (pread(held, &c, 1, 10) != 1 || c != 'M')
		tl_fail("held: its shared mapping is no longer the file its descriptor reads");

	snprintf(link, sizeof(link), "/proc/self/fd/%d", log);
	check_deleted_in("log", link, dir, "log");
	int fl = fcntl(log, F_GETFL);
	if ((fl & O_ACCMODE) != O_WRONLY || !(fl & O_APPEND))
		tl_fail("log: flags %#x, expected O_WRONLY|O_APPEND", fl);
	lseek(log, 0, SEEK_SET);
	if (write(log, "0123456789", 10) != 10 || fstat(log, &st) < 0 || st.st_size != 110 || lseek(log, 0, SEEK_CUR) != 110)
		tl_fail("log: a write no longer appends (size %lld)", (long long)st.st_size);

	char pattern[3 * PAGE];
	tl_fill(pattern, sizeof(pattern), 44);
	memcpy(pattern + PAGE, "through the mapping", 19);
	if (memcmp(shared, pattern, sizeof(pattern)))
		tl_fail("shared: the mapping lost its contents");
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx", (unsigned long)shared, (unsigned long)shared + 3 * PAGE);
	if (stat(link, &st) == 0 && (st.st_nlink != 0 || st.st_size != 3 * PAGE))
		tl_fail("shared: mapped file has %lu links and size %lld", (unsigned long)st.st_nlink, (long long)st.st_size);

	tl_fill(pattern, 2 * PAGE, 45);
	memset(pattern, 'p', PAGE);
	if (memcmp(priv, pattern, 2 * PAGE))
		tl_fail("priv: the private mapping lost its contents");
	return tl_finish();
}
