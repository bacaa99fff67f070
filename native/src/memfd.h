/* A memfd's own attributes (name, mode, seals), beside its contents (saved
 * as shared memory: files.c, pipes.c). */
#ifndef CRYO_MEMFD_H
#define CRYO_MEMFD_H

#include <sys/types.h>
#include "snapshot.h"

/* fd f of pid is a memfd: record its mode and seals as the fd's detail
 * (struct cryo_fd_memfd).  A write-sealed memfd a process of t also maps
 * is refused (its mapping could not be filled again). */
int memfd_capture(pid_t pid, const struct tree *t, struct fd_rec *f, struct cryo_error *e);
/* Reading a context file: is f's memfd detail, if any, sound? (shmem_fd_ops.validate) */
int memfd_validate(const struct tree *t, const struct snapshot *s, const struct fd_rec *f);
/* At checkpoint time, once every descriptor is linked: a memfd the tree
 * only maps (no descriptor of it left) with seals or a mode of its own is
 * refused, naming the process and the mapping. */
int memfd_check_mapped(const struct tree *t, struct cryo_error *e);
/* A new memfd for the tree's shared memory object o: with its name and
 * mode when a descriptor of the tree recorded them, with its name (from a
 * mapping) when only mapped, else "cryo-shmem". */
int memfd_create_for(const struct tree *t, const struct shmem_obj *o, struct cryo_error *e);
/* Once its contents are in: the seals it had. */
int memfd_seal(const struct tree *t, const struct shmem_obj *o, int fd, struct cryo_error *e);

/* Is f the tree's first open file of its memfd?  It then takes the pool's
 * own open file (memfd_create's), not a reopen through /proc/self/fd: the
 * kernel counts a reopen for writing as a writer, and a memfd with a writer
 * cannot be run (fexecve: ETXTBSY), as it could before. */
int memfd_owns_pool_file(const struct tree *t, const struct fd_rec *f);

#endif
