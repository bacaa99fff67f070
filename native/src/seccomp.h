/*
 * seccomp filters (SECCOMP_MODE_FILTER), every thread's own chain: read with
 * PTRACE_SECCOMP_GET_FILTER (root: CAP_SYS_ADMIN), installed again in each
 * thread after every other step of the restart.  While Cryo traces a thread
 * under a filter its filters are suspended (PTRACE_O_SUSPEND_SECCOMP), so
 * the injected syscalls are neither refused nor fatal.  SECCOMP_MODE_STRICT
 * stays refused (process.c).
 */
#ifndef CRYO_SECCOMP_H
#define CRYO_SECCOMP_H

#include "image.h"
#include "snapshot.h"

/* Right after the freeze, before anything is injected: suspend the filters
 * of every thread of pid under one. */
int seccomp_suspend(pid_t pid, const pid_t *tids, int nr, struct cryo_error *e);
int seccomp_capture(pid_t pid, const pid_t *tids, int nr, struct snapshot *s, struct cryo_error *e);
/* A SECCOMP section read from a file (snapshot_read_seccomp): 0 if every
 * record is sound for process s (each thread once, filters in bounds). */
int seccomp_check_records(const char *p, size_t len, const struct snapshot *s);
/* Last: each thread's filters, oldest first (tids[i] is thread i; options
 * the ptrace options it is traced with, SUSPEND_SECCOMP added meanwhile). */
int seccomp_restore(const pid_t *tids, int nr, const struct snapshot *s, long options, struct cryo_error *e);

#endif
