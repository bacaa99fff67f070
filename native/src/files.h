/* Open files, saved by reference as BLCR did: path, flags, offset, fd
 * number, close-on-exec.  stdin/out/err that lead outside (a terminal, a
 * pipe, a socket) become the restarting process's own. */
#ifndef CRYO_FILES_H
#define CRYO_FILES_H

#include "memory.h"
#include "snapshot.h"

int files_capture(pid_t pid, struct snapshot *s, struct cryo_error *e);
/* Once every process of t is captured: descriptors a child shares with its
 * parent (kcmp), pipes inside the tree (and their buffered data) or leading
 * out of it; refuses what cannot be restored. */
int files_link_tree(struct tree *t, struct cryo_error *e);
/* Before anything is started: every file the image refers to (open files,
 * mapped files, the executable) is there and, where it matters, unchanged. */
int files_check(const struct snapshot *s, relocate_fn relocate, struct cryo_error *e);
/* In a root s of t being restored, on itself: open every file at its number
 * and offset, take its pipe and socket ends from the pool (pipes.h, made by
 * the restorer and inherited), close everything else but *keep (>= 0),
 * which is moved above the pool (*keep is its number, even on failure). */
int files_restore_self(const struct tree *t, const struct snapshot *s, relocate_fn relocate, int *keep,
		       struct cryo_error *e);
/* In a process forked from its restored parent, by injected syscalls: the
 * same, taking inherited descriptors from the parent's and pipe ends from
 * the pool (which stays open until files_close_pool_injected). */
int files_restore_injected(struct injector *in, uint64_t scratch, const struct tree *t, const struct snapshot *s,
			   relocate_fn relocate, struct cryo_error *e);
int files_close_pool_injected(struct injector *in, const struct tree *t, struct cryo_error *e);
/* Files saved by content (format.h, CRYO_SHMEM_*): fd gets c's contents,
 * holes kept; a deleted one is made again, unlinked, in its directory
 * (returns its descriptor); one in a tmp directory mapped shared is made
 * again at its path if it is gone, before files_check looks for it. */
int files_fill_saved(int fd, const struct shmem_file_rec *c, struct cryo_error *e);
int files_make_unlinked(const struct tree *t, const struct shmem_file_rec *c, relocate_fn relocate, struct cryo_error *e);
int files_recreate_gone(const struct tree *t, relocate_fn relocate, struct cryo_error *e);

#endif
