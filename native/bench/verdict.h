/* What the benchmark's single-process workloads (memhog.c, stencil.c) share:
 * waiting for SIGUSR1, the benchmark's "check your memory", and handing it
 * the verdict (scripts/benchmark.sh reads it). */
#ifndef CRYO_BENCH_VERDICT_H
#define CRYO_BENCH_VERDICT_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t verify_requested;

static void on_usr1(int sig)
{
	(void)sig;
	verify_requested = 1;
}

/* check(out, arg) writes one line, "verify ok" or "verify BAD ...", to out. */
typedef void (*verdict_check_fn)(FILE *out, void *arg);

/* The verdict into REPORT, created afresh each time by rename so that a
 * reader never sees it half written (a fresh file works whatever became of
 * the descriptors after a restart), or onto stdout without REPORT. */
static void write_verdict(const char *prog, const char *report, verdict_check_fn check, void *arg)
{
	if (!report) {
		check(stdout, arg);
		fflush(stdout);
		return;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", report);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
		return;
	}
	check(f, arg);
	if (fclose(f) != 0 || rename(tmp, report) != 0)
		fprintf(stderr, "%s: %s: %s\n", prog, report, strerror(errno));
}

/* Before "ready": from then on a SIGUSR1 must not kill the workload. */
static void catch_verify_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* Never returns: a verdict for every SIGUSR1 (catch_verify_signal first). */
static void serve_verdicts(const char *prog, const char *report, verdict_check_fn check, void *arg)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	for (;;) {
		sigprocmask(SIG_BLOCK, &block, &old);
		while (!verify_requested)
			sigsuspend(&old);   /* pause() without the lost-wakeup race */
		verify_requested = 0;
		sigprocmask(SIG_SETMASK, &old, NULL);
		write_verdict(prog, report, check, arg);
	}
}

#endif
