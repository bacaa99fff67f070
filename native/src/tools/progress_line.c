/*
 * The progress line of cr_checkpoint and cr_restart: on a terminal only,
 * once the work has taken a second, rewritten in place at most four times a
 * second (progress = always, for the tests: at once and at every change) and erased when
 * the page data is all moved, so that nothing of it stays in the output.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "config.h"
#include "progress.h"

static struct {
	const char *prog;
	double start, last;
	double wait;                /* seconds before the line first shows */
	double interval;            /* at least this long between two rewrites */
	int shown;
	pthread_mutex_t lock;
} line = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 1536 MiB -> "1.5 GiB" */
static void human(char *out, size_t size, double bytes)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	for (; bytes >= 1024 && i < 4; i++)
		bytes /= 1024;
	snprintf(out, size, i && bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, unit[i]);
}

static void erase_locked(void)
{
	if (line.shown)
		fputs("\r\033[K", stderr);
	line.shown = 0;
}

static void show(uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&line.lock);
	double t = seconds(), elapsed = t - line.start;
	if (total && done >= total)
		erase_locked();
	else if (elapsed >= line.wait && (!line.shown || t - line.last >= line.interval)) {
		char d[32], n[32], r[32];
		double rate = elapsed > 0 ? (double)done / elapsed : 0;
		human(d, sizeof(d), (double)done);
		human(n, sizeof(n), (double)(total > done ? total : done));
		human(r, sizeof(r), rate);
		if (rate > 0)
			fprintf(stderr, "\r%s: %s of %s, %s/s, %.0f s left\033[K", line.prog, d, n, r,
				(double)(total - done) / rate + 0.5);
		else
			fprintf(stderr, "\r%s: %s of %s\033[K", line.prog, d, n);
		line.shown = 1;
		line.last = t;
	}
	pthread_mutex_unlock(&line.lock);
}

static void erase_at_exit(void)
{
	pthread_mutex_lock(&line.lock);
	erase_locked();
	pthread_mutex_unlock(&line.lock);
}

void progress_line_install(const char *prog, int quiet)
{
	const char *mode = cryo_config_value("progress", NULL);
	if (quiet || !isatty(STDERR_FILENO) || (mode && !strcmp(mode, "no")))
		return;
	line.prog = prog;
	line.start = seconds();
	int always = mode && !strcmp(mode, "always");
	line.wait = always ? 0 : 1.0;
	line.interval = always ? 0 : 0.25;
	atexit(erase_at_exit);
	cryo_progress_watch(show);
}
