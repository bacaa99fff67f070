/*
 * What a process does to memory that a lazy restart is still serving
 * (cr_restart --lazy): after the go it forks a child that checks every page
 * (its pages come through the child's own userfaultfd), moves part of its
 * memory with mremap, discards another part with MADV_DONTNEED (zero from
 * then on, never the image's data again), unmaps a third, reads a fourth
 * through the kernel (write() from it into a pipe), and checks the rest.
 * Run with the prefetch held back, every one of these meets pages not yet
 * served; run large with the prefetch going, they race it (it prints how much
 * was in when it started).  argv[2]: MiB of memory (default 32).
 */
#include "testlib.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define MIB (1ul << 20)

static uint64_t word(size_t i) { return (i * 0x9E3779B97F4A7C15ull) ^ 0x1a2b3c4dull; }

/* Words [from, to) of the original region, now at mem (which starts at word from). */
static int check_words(const char *what, const uint64_t *mem, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (mem[i - from] != word(i)) {
			tl_fail("%s: word %zu differs", what, i);
			return 0;
		}
	return 1;
}

static int check_zero(const char *what, const uint64_t *mem, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mem[i]) {
			tl_fail("%s: word %zu is not zero after MADV_DONTNEED", what, i);
			return 0;
		}
	return 1;
}

/* The kernel reads these pages (copy_from_user in write()): no user fault. */
static int check_through_pipe(const uint64_t *mem, size_t from, size_t n)
{
	int p[2];
	if (pipe(p) < 0)
		return tl_fail("pipe"), 0;
	int ok = 1;
	for (size_t done = 0; done < n && ok;) {
		size_t chunk = n - done < 4096 ? n - done : 4096;      /* words: 32 KiB, within the pipe's buffer */
		ssize_t w = write(p[1], mem + done, chunk * 8);
		uint64_t buf[4096];
		if (w != (ssize_t)(chunk * 8) || read(p[0], buf, chunk * 8) != w)
			ok = 0, tl_fail("write from lazy memory into a pipe failed");
		else
			ok = check_words("read through the kernel", buf, from + done, from + done + chunk);
		done += chunk;
	}
	close(p[0]);
	close(p[1]);
	return ok;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 32;
	if (mib < 8)
		mib = 8;
	size_t n = mib * MIB / 8, q = n / 8;       /* eight parts */
	uint64_t *mem = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return tl_fail("mmap %zu MiB", mib), 1;
	for (size_t i = 0; i < n; i++)
		mem[i] = word(i);

	tl_ready();
	tl_wait_go();
	/* how much of it the prefetch had brought in when this started (mincore faults nothing in):
	 * under 100%, every step below raced the prefetch */
	size_t pages = n * 8 / 4096, in = 0;
	unsigned char *vec = malloc(pages);
	if (vec && mincore(mem, n * 8, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
	free(vec);
	printf("resident at go: %zu of %zu pages\n", in, pages);
	fflush(stdout);

	/* part 0..7 as seen by a child forked now: every page */
	pid_t child = fork();
	if (child == 0)
		_exit(check_words("in the child", mem, 0, n) ? 0 : 1);
	/* part 1 moves elsewhere */
	uint64_t *moved = mremap(mem + q, q * 8, q * 8, MREMAP_MAYMOVE | MREMAP_FIXED,
				 (char *)mmap(NULL, q * 8, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (moved == MAP_FAILED)
		tl_fail("mremap");
	else
		check_words("after mremap", moved, q, 2 * q);
	/* part 2 is discarded: zeros from now on */
	if (madvise(mem + 2 * q, q * 8, MADV_DONTNEED) < 0)
		tl_fail("madvise");
	check_zero("discarded part", mem + 2 * q, q);
	/* part 3 goes; a new mapping in its place is zero, not the image's */
	munmap(mem + 3 * q, q * 8);
	uint64_t *fresh = mmap(mem + 3 * q, q * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (fresh == MAP_FAILED)
		tl_fail("mmap in place of an unmapped part");
	else
		check_zero("new mapping over an unmapped part", fresh, q);
	/* part 4 through the kernel, then parts 0 and 5..7 directly */
	check_through_pipe(mem + 4 * q, 4 * q, q);
	check_words("part 0", mem, 0, q);
	check_words("parts 5-7", mem + 5 * q, 5 * q, n);

	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		tl_fail("the child forked after the restart found its memory wrong (status %#x)", status);
	return tl_finish();
}
