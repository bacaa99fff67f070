/*
 * The kinds of descriptor (format.h, enum cryo_fd_kind): one struct fd_ops
 * each, defined in the kind's own file (files.c, pipes.c, sockets.c, tcp.c,
 * eventfds.c ...) and registered in the one table in fdtypes.c.  Capture,
 * linking across the tree, validation of a context file's records and
 * restore reach a kind only through its ops, in the manner of CRIU's
 * fdtype_ops.  docs/ENGINE.md says how to add a kind.
 */
#ifndef CRYO_FDTYPES_H
#define CRYO_FDTYPES_H

#include <sys/stat.h>
#include <sys/types.h>
#include "files.h"
#include "rexec.h"
#include "snapshot.h"

struct fd_ops {
	uint32_t kind;              /* CRYO_FD_* */
	const char *name;
	/* Checkpoint, per descriptor of pid (f->path: its /proc link, st: its
	 * stat): 1 if this kind claims it (f->r.kind and f->detail set), 0 if
	 * not, -1 on failure.  Tried in table order; NULL: never claims (the
	 * kind is given by another's classify or by link_tree). */
	int (*classify)(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e);
	/* Checkpoint, once every process of t is captured, for fd f of process
	 * k: pairing inside the tree, saving by content, or refusing (a
	 * one-line error naming the process and fd).  May change f->r.kind.
	 * NULL: nothing to do. */
	int (*link_tree)(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e);
	/* Reading a context file, t whole: is record f of s sound (its detail
	 * the right size, the pipe or socket it names in t)?  0 yes.  NULL: nothing to check. */
	int (*validate)(const struct tree *t, const struct snapshot *s, const struct fd_rec *f);
	/* Restore, before anything is started: is what f refers to outside the
	 * file still there and, where it matters, unchanged (relocated)?  A
	 * one-line error if not.  NULL: nothing outside. */
	int (*check)(const struct fd_rec *f, relocate_fn relocate, struct cryo_error *e);
	/* Restore f at its number (f->r.dup_of < 0; dups are made by files.c).
	 * Without needs_memory: with the other files, before the address space
	 * (x may be the restorer itself).  With needs_memory: once the address
	 * space is back (x is injected: x->in is set). */
	int (*restore)(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e);
	int needs_memory;
	/* For a kind the pool holds (resources.h): the pool descriptor with
	 * f's open file, the pool starting at pool_base; -1 if none.  NULL: not in the pool. */
	int (*pool_fd)(const struct tree *t, int pool_base, const struct cryo_fd *f);
	/* Once every descriptor of s is in place (dups included): what refers to
	 * other descriptors or files (epoll sets, inotify watches, locks) for
	 * s->fds[i].  NULL: nothing. */
	int (*complete)(struct rexec *x, const struct fd_restore *c, const struct snapshot *s, int i, struct cryo_error *e);
	/* 1: made once every process of the tree exists, it and its dups, by
	 * its own file (pidfds.c, pathfds.c: it names a process of the tree);
	 * set with needs_memory, restore unused.  Such a descriptor is an open
	 * file of its own even if inherited across fork. */
	int after_tree;
};

/* The ops of kind, or NULL if no such kind. */
const struct fd_ops *fd_ops_of(uint32_t kind);
/* Checkpoint: the first kind whose classify claims f; kind 0 if none (fine
 * only if f turns out inherited from the parent). */
int fdtypes_classify(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e);
/* Restore, in a traced process whose address space is back: every
 * needs_memory descriptor, their dups, then every kind's complete. */
int fdtypes_restore_after_memory(struct rexec *x, const struct fd_restore *c, const struct snapshot *s,
				 struct cryo_error *e);

/* The kinds' ops, each in its own file. */
extern const struct fd_ops regular_fd_ops, device_fd_ops, inherit_fd_ops, parent_fd_ops, shmem_fd_ops;
extern const struct fd_ops pipe_fd_ops;
extern const struct fd_ops socket_fd_ops, closed_socket_fd_ops, unix_bound_fd_ops;
extern const struct fd_ops tcp_fd_ops;
extern const struct fd_ops net_socket_fd_ops;
extern const struct fd_ops eventfd_fd_ops, timerfd_fd_ops, signalfd_fd_ops, epoll_fd_ops, inotify_fd_ops;
extern const struct fd_ops pidfd_fd_ops, proc_fd_ops, opath_fd_ops;
extern const struct fd_ops pty_master_fd_ops, pty_slave_fd_ops, dev_tty_fd_ops;

#endif
