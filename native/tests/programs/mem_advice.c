/*
 * madvise advice and mapping types that live in the mapping, not in its
 * pages: MADV_DONTFORK, MADV_WIPEONFORK, MADV_DONTDUMP, MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE, and a MAP_DROPPABLE mapping.  After the restart each
 * mapping shows its VmFlags (dc, wf, dd, hg, nh, dp) and no other of them,
 * keeps its contents, and a fork still honours them: the child lacks the
 * DONTFORK mapping and sees zeros in the WIPEONFORK one.  A larger
 * MADV_HUGEPAGE mapping that had huge pages has huge pages again.
 */
#include "testlib.h"
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#define PAGE 4096UL
#define LEN (4 * PAGE)
#define HUGE_ALIGN (2UL << 20)
#define HUGE_LEN (4 * HUGE_ALIGN)

static const struct { const char *flag; int advice; } kinds[] = {
	{ "dc", MADV_DONTFORK }, { "wf", MADV_WIPEONFORK }, { "dd", MADV_DONTDUMP },
	{ "hg", MADV_HUGEPAGE }, { "nh", MADV_NOHUGEPAGE },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
static const char *watched[] = { "dc", "wf", "dd", "hg", "nh", "dp" };

/* The VmFlags of the mapping at addr, space separated with one leading and trailing space. */
static int vmflags(void *addr, char *out, size_t size)
{
	char flags[400];
	if (tl_smaps_field(addr, "VmFlags:", flags, sizeof(flags)))
		return -1;
	snprintf(out, size, "%s ", flags);
	return 0;
}

/* The AnonHugePages of the mapping at addr, in kB (-1: no such mapping). */
static long huge_kb(void *addr)
{
	char kb[64];
	long n = -1;
	if (!tl_smaps_field(addr, "AnonHugePages:", kb, sizeof(kb)))
		sscanf(kb, "%ld", &n);
	return n;
}

/* Has the mapping at addr exactly the watched flags in want (e.g. " wf dd dp ")? */
static void check_flags(const char *what, void *addr, const char *want)
{
	char flags[512], word[8];
	if (vmflags(addr, flags, sizeof(flags))) {
		tl_fail("%s: no mapping at %p", what, addr);
		return;
	}
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		snprintf(word, sizeof(word), " %s ", watched[i]);
		int has = strstr(flags, word) != NULL, wanted = strstr(want, word) != NULL;
		TL_CHECK(has == wanted, "%s: VmFlags%s %s %s", what, flags, has ? "has" : "lacks", watched[i]);
	}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char *m[NKINDS];
	for (size_t i = 0; i < NKINDS; i++) {
		m[i] = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m[i] == MAP_FAILED || madvise(m[i], LEN, kinds[i].advice))
			return 2;
		tl_fill(m[i], LEN, 10 + i);
	}
	char *drop = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
	if (drop == MAP_FAILED)
		return 2;
	tl_fill(drop, LEN, 20);
	/* 8 MiB on a 2 MiB boundary, asking for huge pages (the policy may give none: then none are expected) */
	char *raw = mmap(NULL, HUGE_LEN + HUGE_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 2;
	char *big = (char *)(((unsigned long)raw + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
	munmap(raw, (size_t)(big - raw));
	munmap(big + HUGE_LEN, (size_t)(raw + HUGE_LEN + HUGE_ALIGN - (big + HUGE_LEN)));
	if (madvise(big, HUGE_LEN, MADV_HUGEPAGE))
		return 2;
	tl_fill(big, HUGE_LEN, 30);
	long huge_before = huge_kb(big);
	tl_ready();
	tl_wait_go();

	char want[32];
	for (size_t i = 0; i < NKINDS; i++) {
		snprintf(want, sizeof(want), " %s ", kinds[i].flag);
		check_flags(kinds[i].flag, m[i], want);
		tl_check_pattern(kinds[i].flag, m[i], LEN, 10 + i);
	}
	check_flags("MAP_DROPPABLE", drop, " wf dd dp ");
	check_flags("MADV_HUGEPAGE, 8 MiB", big, " hg ");
	tl_check_pattern("MADV_HUGEPAGE, 8 MiB", big, HUGE_LEN, 30);
	long huge_after = huge_kb(big);
	TL_CHECK(huge_before <= 0 || huge_after > 0, "MADV_HUGEPAGE, 8 MiB: %ld kB in huge pages when saved, %ld kB now",
		 huge_before, huge_after);
	/* the kernel may have dropped its pages: then they read as zeros */
	if (tl_find_mismatch(drop, LEN, 20) >= 0 && !(drop[0] == 0 && !memcmp(drop, drop + 1, LEN - 1)))
		tl_fail("MAP_DROPPABLE: neither its contents nor dropped");

	pid_t child = fork();
	if (child == 0) {
		unsigned char v;
		int ok = mincore(m[0], PAGE, &v) < 0 && errno == ENOMEM;       /* DONTFORK: not in the child */
		for (size_t i = 0; i < LEN; i++)
			ok &= m[1][i] == 0;                                     /* WIPEONFORK: zeros */
		_exit(ok ? 0 : 1);
	}
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		tl_fail("a child forked after the restart still has the DONTFORK mapping or the WIPEONFORK contents");
	return tl_finish();
}
