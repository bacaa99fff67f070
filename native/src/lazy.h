/*
 * Lazy restart (cr_restart --lazy): a process runs as soon as everything but
 * its private anonymous memory is back; those pages come on first touch,
 * through a userfaultfd registered in the process before its first
 * instruction, and a background prefetch brings in the rest.  The page
 * server is a thread of the restoring process (cr_restart, or the keeper of
 * cr_restart --detach, which outlives the command); every block it serves is
 * checked against the file's PAGE_SUMS first.  A block that cannot be read
 * or does not match kills the process (SIGKILL, with a line on stderr and in
 * syslog) rather than give it wrong memory; so does the death of the server
 * itself, through a guard process holding the userfaultfds (without them the
 * kernel would hand the process zero pages).  Once every page is in, the
 * server closes the userfaultfds (the process never held one) and ends.
 *
 * Eager still: shared memory of any kind, file-backed mappings (their written
 * private pages too), stacks (MAP_GROWSDOWN), read-only and droppable
 * mappings, mappings that asked for huge pages (MADV_HUGEPAGE: UFFDIO_COPY
 * would give them 4 KiB ones), mappings a forked child keeps from its parent (cow.h), and the
 * whole memory of a process that has children in the tree (a fork copies
 * the parent's page tables, and pages not yet served would be missing in
 * the child).  A process that forks later, while pages are still being
 * served, has its child's pages served the same way (UFFD_EVENT_FORK).
 */
#ifndef CRYO_LAZY_H
#define CRYO_LAZY_H

#include "image.h"
#include "inject.h"
#include "snapshot.h"

struct lazy;

/* The page server of one restart: its guard starts now (the restorer must
 * have no other thread yet), its descriptors above min_fd. */
int lazy_begin(struct lazy **lz, struct image_reader *r, int min_fd, struct cryo_error *e);
/* Process k of the tree (s) is to be served lazily: plan which of its
 * mappings are, from its PAGE_SUMS.  0 with *lazy_vmas 0 when none can be
 * (a file without PAGE_SUMS, no such mapping): then its memory is restored
 * as usual. */
int lazy_plan(struct lazy *lz, struct image_reader *r, const struct snapshot *s, int k, int *lazy_vmas,
	      struct cryo_error *e);
/* Whether mapping v of the process last planned is served lazily. */
int lazy_vma(const struct lazy *lz, const struct vma_rec *v);
/* The mappings are in place in the process behind in: register the lazy
 * ones with a userfaultfd made in the process (and closed there at once),
 * start serving them, and write every other page of the image. */
int lazy_register_and_fill(struct lazy *lz, struct injector *in, struct cryo_error *e);
/* The tree runs: start the prefetch.  The server owns itself from now on
 * and ends when every page is in; lz is gone for the caller. */
void lazy_release(struct lazy *lz);
/* The restore failed (its processes are killed): stop serving, free lz. */
void lazy_abort(struct lazy *lz);

#endif
