/*
 * System V shared memory the tree uses: each segment is saved once, with
 * its key, id, mode and contents, and recreated by the restorer with the
 * same id (kernel.shm_next_id, which needs CAP_CHECKPOINT_RESTORE), so the
 * ids the processes hold stay right; each process attaches it again where
 * it was.  Semaphore sets and message queues the tree has used (the last
 * operation on one was by a process of the tree) are saved with their
 * values and messages and recreated with their ids the same way.
 */
#ifndef CRYO_SYSV_H
#define CRYO_SYSV_H

#include "inject.h"
#include "snapshot.h"

/* "/SYSV0000abcd (deleted)": a mapping of a System V segment. */
int sysv_is_shm_mapping(const char *path);
/* Save every segment the tree's processes have attached (once each). */
int sysv_capture(struct tree *t, struct cryo_error *e);
/* In the restorer: recreate every segment with its id and contents. */
int sysv_create(const struct tree *t, struct cryo_error *e);
/* Once every process has attached its segments (or the restore failed):
 * those that were marked for removal are marked again, so they go when the
 * last process detaches, as they would have. */
void sysv_release(const struct tree *t);
/* Semaphore sets and message queues the tree has used. */
int sysv_capture_sem(struct tree *t, struct cryo_error *e);
int sysv_capture_msg(struct tree *t, struct cryo_error *e);
/* In the restorer: recreate them with their ids, values and messages. */
int sysv_create_sem(const struct tree *t, struct cryo_error *e);
int sysv_create_msg(const struct tree *t, struct cryo_error *e);
/* Through the injector: attach segment v->file.ino at v's address. */
int sysv_attach(struct injector *in, const struct vma_rec *v, struct cryo_error *e);

#endif
