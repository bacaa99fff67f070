/*
 * Whom an open file signals when I/O is possible (F_SETOWN_EX, F_SETSIG,
 * O_ASYNC) and its lease (F_SETLEASE): read by injected fcntl calls, set
 * again once the whole tree exists (the owner may be a process restored
 * after the file's).  An owner outside the tree is refused.
 */
#ifndef CRYO_FDOWNERS_H
#define CRYO_FDOWNERS_H

#include "inject.h"
#include "pidfds.h"
#include "snapshot.h"

/* Through the process's leader injector, its files captured: each open
 * file's owner, signal and lease (the owner as the process sees it). */
int fdowners_capture(struct injector *in, struct snapshot *s, struct cryo_error *e);
/* Once the tree is known: the owner becomes its process's image PID (and
 * thread index), or the checkpoint is refused. */
int fdowners_link(const struct tree *t, const struct snapshot *s, struct fd_rec *f, struct cryo_error *e);
/* A record read from a file: its owner fields in range. */
int fdowners_valid(const struct fd_rec *f);
/* Has f an owner, a signal, a lease or O_ASYNC to set again? */
int fdowners_wanted(const struct fd_rec *f);
/* Through an injector of process s (scratch: memory of its own), every
 * process existing; tids[k][i] is thread i of process k as the tree sees it. */
int fdowners_restore(struct injector *in, uint64_t scratch, const struct snapshot *s, const struct tree *t,
		     const struct pid_now *now, pid_t *const *tids, struct cryo_error *e);

#endif
