/*
 * Terminals: pty pairs inside the tree (master and slave), /dev/tty, the
 * controlling terminal of a session and its foreground process group.
 *
 * Checkpoint: each /dev/ptmx, /dev/pts/N and /dev/tty descriptor is
 * classified; once the whole tree is captured, each is linked: a master gives its pair's record (termios, window
 * size, packet mode, lock; refused if data is queued either way), a slave
 * whose master the tree holds and /dev/tty naming such a slave come back, a
 * slave of an outside terminal on stdin/out/err of a root is the restart's
 * own (CRYO_FD_INHERIT, as in BLCR) and anything else is refused; then the
 * sessions are looked at (the resource's capture).
 *
 * Restart: the restorer recreates each pair in the pool, at the same
 * /dev/pts index where it is free; each process takes its descriptors from
 * there once its session is made, a session leader its controlling terminal
 * first, a foreground group's leader the foreground (ttys_restore_terminal);
 * the locks go back on last (ttys_lock_again).  The user's
 * own terminal (an inherited one) is left as it is: its termios are the
 * user's, not the job's.
 */
#ifndef CRYO_TTYS_H
#define CRYO_TTYS_H

#include "cryo/cryo.h"
#include "rexec.h"
#include "snapshot.h"

/* The kinds: pty_master_fd_ops, pty_slave_fd_ops, dev_tty_fd_ops (fdtypes.h)
 * and ttys_resource (resources.h, section TTYS: the pairs, in the pool). */

/* In process s being restored (by injection, once its session is made and
 * its address space is back, before its descriptors and its children): the
 * controlling terminal of the session it leads, and the foreground of the
 * group it leads. */
int ttys_restore_terminal(struct rexec *x, const struct tree *t, const struct snapshot *s, int pool_base,
			  struct cryo_error *e);
/* In the restorer, the tree built: the locks that were on go on again. */
int ttys_lock_again(const struct tree *t, int pool_base, struct cryo_error *e);

#endif
