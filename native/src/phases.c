/* Per-phase times of a checkpoint on stderr (phases.h). */
#include "phases.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int on;
static int of_pid;
static const char *label = "";
static uint64_t began, last;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

void phases_begin(int want, int pid, const char *what)
{
	on = want || getenv("CRYO_TIMING") != NULL;
	of_pid = pid;
	label = what ? what : "";
	began = last = now_ns();
}

void phase_done(const char *name)
{
	if (!on)
		return;
	uint64_t t = now_ns();
	fprintf(stderr, "cryo: %d %s%-34s %8.2f ms\n", of_pid, label, name, (t - last) / 1e6);
	last = t;
}

void phases_end(const char *name)
{
	if (!on)
		return;
	uint64_t t = now_ns();
	fprintf(stderr, "cryo: %d %s%-34s %8.2f ms\n", of_pid, label, name, (t - began) / 1e6);
	last = t;
}
