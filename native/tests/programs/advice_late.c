/*
 * Advice given to a whole mapping while the checkpoint is being taken: on
 * SIGUSR1 the program gives MADV_DONTFORK to a mapping that had none (its
 * line in /proc/PID/maps does not change, only VmFlags in smaps) and says
 * so by creating argv[2] (which the engine removes once it has seen it).  The test's engine sends the signal after it has
 * read smaps and before it freezes (CRYO_FAULT_SIGNAL_BEFORE_FREEZE), so the
 * advice is the process's at the freeze: after the restart the mapping has
 * it (dc), keeps its contents, and a forked child lacks it.
 */
#include "testlib.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define LEN (16 * 4096UL)

static char *region;
static const char *advised;
static volatile sig_atomic_t advice_given;

static void on_usr1(int sig)
{
	(void)sig;
	if (madvise(region, LEN, MADV_DONTFORK) == 0) {
		advice_given = 1;
		close(open(advised, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	}
}

/* Does the mapping at addr have VmFlag flag (e.g. "dc")? -1: no such mapping. */
static int has_flag(void *addr, const char *flag)
{
	char flags[400], word[8];
	if (tl_smaps_field(addr, "VmFlags:", flags, sizeof(flags)))
		return -1;
	size_t n = strlen(flags);
	snprintf(flags + n, sizeof(flags) - n, " ");
	snprintf(word, sizeof(word), " %s ", flag);
	return strstr(flags, word) != NULL;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc < 3)
		return 2;
	advised = argv[2];
	/* between two PROT_NONE pages: a mapping of its own, which no neighbour merges with, so that the
	 * advice on all of it changes its VmFlags and not its line in maps */
	char *raw = mmap(NULL, LEN + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED || mprotect(raw + 4096, LEN, PROT_READ | PROT_WRITE))
		return 2;
	region = raw + 4096;
	tl_fill(region, LEN, 41);
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	TL_CHECK(has_flag(region, "dc") == 0, "the mapping has dc before any advice");
	tl_ready();
	tl_wait_go();

	TL_CHECK(advice_given, "the advice was never given (no SIGUSR1 before the freeze)");
	TL_CHECK(has_flag(region, "dc") == 1, "the mapping lost MADV_DONTFORK, given just before the freeze");
	tl_check_pattern("region", region, LEN, 41);
	pid_t child = fork();
	if (child == 0)
		_exit(has_flag(region, "dc") == -1 ? 0 : 1);
	int status = 0;
	TL_CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "a child forked after the restart has the DONTFORK mapping");
	return tl_finish();
}
