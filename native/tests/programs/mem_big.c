/*
 * A process holding a lot of memory (argv[2] MiB, default 16), every page
 * filled with its own pattern, and a last MiB in the same mapping never
 * touched.  The fault tests checkpoint it into a directory too small for it,
 * or kill it in the middle of its checkpoint.  Restored, it checks its pages,
 * that the untouched ones read zero and take writes, that a child it forks
 * sees the same memory, and that the restore left no userfaultfd behind
 * (uffdfill.h): no such descriptor, no mapping registered with one.
 */
#include "testlib.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define UNTOUCHED (1UL << 20)

static void check_no_userfaultfd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[64], target[128];
	while (d && (de = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = 0, strstr(target, "userfaultfd")))
			tl_fail("fd %s is a userfaultfd", de->d_name);
	}
	if (d)
		closedir(d);
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmFlags:", 8) && (strstr(line, " um") || strstr(line, " uw") || strstr(line, " ui")))
			tl_fail("a mapping is still registered with a userfaultfd: %s", line);
	if (f)
		fclose(f);
}

static uint64_t word(size_t i) { return (i * 0x9E3779B97F4A7C15ull) ^ 0xb16b00b5ull; }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 16;
	size_t n = (mib << 20) / sizeof(uint64_t);
	uint64_t *mem = mmap(NULL, n * sizeof(uint64_t) + UNTOUCHED, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		tl_fail("mmap %zu MiB", mib);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		mem[i] = word(i);

	tl_ready();
	tl_wait_go();

	for (size_t i = 0; i < n; i++)
		if (mem[i] != word(i)) {
			tl_fail("memory differs at byte %zu", i * sizeof(uint64_t));
			break;
		}
	uint64_t *tail = mem + n;
	for (size_t i = 0; i < UNTOUCHED / sizeof(uint64_t); i += 512) {
		if (tail[i])
			tl_fail("an untouched page reads %#llx at byte %zu", (unsigned long long)tail[i], (n + i) * sizeof(uint64_t));
		tail[i] = word(n + i);
	}
	check_no_userfaultfd();
	pid_t child = fork();
	if (child == 0) {
		for (size_t i = 0; i < n; i += 509)
			if (mem[i] != word(i))
				_exit(1);
		_exit(tail[512] == word(n + 512) ? 0 : 1);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		tl_fail("a child forked after the restart does not see the memory (status %#x)", status);
	return tl_finish();
}
