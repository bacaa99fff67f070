/*
 * A memfd's name, mode and seals come back with its contents: one sealed
 * against shrinking, growing and writing; one made with MFD_NOEXEC_SEAL
 * (mode 0666 and F_SEAL_EXEC); one made with MFD_EXEC (mode 0777), not
 * sealable, holding a copy of /bin/true, which a child runs with fexecve
 * after the restart (a reopened memfd counts as a writer: ETXTBSY).  With argument "mapped", a memfd sealed against future writes
 * and mapped read-only instead: its checkpoint is refused, and it carries on.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

struct memfd { const char *name; int fd, seals; mode_t mode; };

static void record(struct memfd *m)
{
	struct stat st;
	m->seals = fcntl(m->fd, F_GET_SEALS);
	m->mode = fstat(m->fd, &st) == 0 ? st.st_mode & 07777 : 0;
}

static void check_same(const struct memfd *m)
{
	struct memfd now = *m;
	char link[64], path[256], want[256];
	record(&now);
	TL_CHECK(now.seals == m->seals, "memfd %s: seals %#x, not %#x", m->name, now.seals, m->seals);
	TL_CHECK(now.mode == m->mode, "memfd %s: mode %o, not %o", m->name, now.mode, m->mode);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", m->name);
	TL_CHECK(!strcmp(path, want), "memfd %s is now %s", m->name, path);
}

static int copy_file(const char *from, int to)
{
	char buf[65536];
	int in = open(from, O_RDONLY);
	ssize_t n;
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n)
			return -1;
	return in < 0 ? -1 : close(in);
}

static int mapped(void)
{
	int fd = memfd_create("future-write", MFD_ALLOW_SEALING);
	char data[4096];
	tl_fill(data, sizeof(data), 61);
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) || fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))
		return 2;
	char *m = mmap(NULL, sizeof(data), PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 2;
	tl_ready();
	tl_wait_go();
	tl_check_pattern("the sealed mapping", m, sizeof(data), 61);
	return tl_finish();
}

/* "map-only": a memfd whose descriptor is closed once mapped comes back with
 * its name and contents, shared and writable; "map-only-sealed": one with
 * seals is refused (they cannot be seen again without a descriptor). */
static int map_only(int sealed)
{
	int fd = memfd_create("map-only", MFD_ALLOW_SEALING);
	char data[8192], line[512];
	tl_fill(data, sizeof(data), 62);
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) ||
	    (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)))
		return 2;
	char *m = mmap(NULL, sizeof(data), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || close(fd))
		return 2;
	tl_ready();
	tl_wait_go();
	tl_check_pattern("the map-only memfd", m, sizeof(data), 62);
	m[0] ^= 1;                  /* still writable, and shared with its object */
	TL_CHECK(m[0] == (char)(data[0] ^ 1), "the map-only memfd cannot be written");
	FILE *maps = fopen("/proc/self/maps", "r");
	char want[32];
	snprintf(want, sizeof(want), "%lx-", (unsigned long)m);
	int named = 0;
	while (maps && fgets(line, sizeof(line), maps))
		if (!strncmp(line, want, strlen(want)))
			named = strstr(line, "/memfd:map-only") != NULL;
	if (maps)
		fclose(maps);
	TL_CHECK(named, "the map-only memfd lost its name");
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "mapped"))
		return mapped();
	if (argc > 2 && !strcmp(argv[2], "map-only"))
		return map_only(0);
	if (argc > 2 && !strcmp(argv[2], "map-only-sealed"))
		return map_only(1);
	struct memfd a = { "sealed-a", memfd_create("sealed-a", MFD_ALLOW_SEALING) };
	struct memfd b = { "noexec-b", memfd_create("noexec-b", MFD_NOEXEC_SEAL) };
	struct memfd c = { "exec-c", memfd_create("exec-c", MFD_EXEC) };
	char data[10000];
	tl_fill(data, sizeof(data), 60);
	if (a.fd < 0 || b.fd < 0 || c.fd < 0 || write(a.fd, data, sizeof(data)) != sizeof(data) ||
	    fcntl(a.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) || copy_file("/bin/true", c.fd))
		return 2;
	record(&a);
	record(&b);
	record(&c);
	tl_ready();
	tl_wait_go();

	check_same(&a);
	check_same(&b);
	check_same(&c);
	char back[sizeof(data)];
	TL_CHECK(pread(a.fd, back, sizeof(back), 0) == sizeof(back) && !memcmp(back, data, sizeof(data)),
		 "memfd sealed-a lost its contents");
	TL_CHECK(pwrite(a.fd, "x", 1, 0) < 0 && errno == EPERM, "memfd sealed-a can be written");
	TL_CHECK(ftruncate(a.fd, 1) < 0 && errno == EPERM, "memfd sealed-a can be shrunk");
	TL_CHECK(fchmod(b.fd, 0777) < 0, "memfd noexec-b can be made executable");
	pid_t child = fork();
	if (child == 0) {
		char *args[] = { "true", NULL }, *env[] = { NULL };
		fexecve(c.fd, args, env);
		printf("fexecve: %s\n", strerror(errno));
		_exit(127);
	}
	int st = 0;
	TL_CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "fexecve of memfd exec-c failed (status %#x)", st);
	return tl_finish();
}
