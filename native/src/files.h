/* Open files, saved by reference as BLCR did: path, flags, offset, fd
 * number, close-on-exec.  stdin/out/err that lead outside (a terminal, a
 * pipe, a socket) become the restarting process's own. */
#ifndef CRYO_FILES_H
#define CRYO_FILES_H

#include "memory.h"
#include "rexec.h"
#include "snapshot.h"

int files_capture(pid_t pid, struct snapshot *s, struct cryo_error *e);
/* Once every process of t is captured: descriptors a child shares with its
 * parent (kcmp), pipes inside the tree (and their buffered data) or leading
 * out of it; refuses what cannot be restored. */
int files_link_tree(struct tree *t, struct cryo_error *e);
/* Before anything is started: every file the image refers to (open files,
 * mapped files, the executable) is there and, where it matters, unchanged. */
int files_check(const struct tree *t, const struct snapshot *s, relocate_fn relocate, struct cryo_error *e);
/* What restoring the descriptors of one process needs to know. */
struct fd_restore {
	const struct tree *t;
	const struct snapshot *s;   /* the process being restored */
	int pool;                   /* pipes_pool_base(t) */
	int stash;                  /* where the parent's descriptors wait: stash + their number */
	relocate_fn relocate;
};
/* In a process of t being restored (a root on itself, before it becomes the
 * image; a child forked from its restored parent, by injected syscalls):
 * open every file at its number and offset, take its pipe and socket ends
 * from the pool (pipes.h, made by the restorer and inherited) and what it
 * inherited from its parent, close everything else but keep (if not NULL),
 * which is moved above the pool (*keep is its number, even on failure).
 * Event descriptors and sockets to the outside come later
 * (files_restore_after_memory), once the address space is back. */
int files_restore(struct rexec *x, const struct tree *t, const struct snapshot *s, relocate_fn relocate, int *keep,
		  struct cryo_error *e);
/* Once the address space is back, in a traced process (fdtypes.h): the
 * descriptors restored then, their dups, then epoll sets, watches, locks. */
int files_restore_after_memory(struct rexec *x, const struct tree *t, const struct snapshot *s, relocate_fn relocate,
			       struct cryo_error *e);
/* For the kinds the pool holds (pipes, socket pairs, TCP): the pool's open
 * file at f's number, with f's flags; a pipe's open file of its own anew. */
int files_restore_from_pool(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e);
/* Once its children exist: the pool goes. */
int files_close_pool(struct rexec *x, const struct tree *t, struct cryo_error *e);
/* Files saved by content (format.h, CRYO_SHMEM_*): fd gets c's contents,
 * holes kept; a deleted one is made again, unlinked, in its directory
 * (returns its descriptor); one in a tmp directory mapped shared is made
 * again at its path if it is gone, before files_check looks for it. */
int files_fill_saved(int fd, const struct shmem_file_rec *c, struct cryo_error *e);
int files_make_unlinked(const struct tree *t, const struct shmem_file_rec *c, relocate_fn relocate, struct cryo_error *e);
int files_recreate_gone(const struct tree *t, relocate_fn relocate, struct cryo_error *e);

#endif
