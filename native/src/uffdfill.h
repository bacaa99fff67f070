/*
 * Writing a restored process's private anonymous pages with UFFDIO_COPY.
 *
 * A page written into a fresh mapping by process_vm_writev is first faulted
 * in, which zeroes it, then copied over; UFFDIO_COPY allocates the page and
 * copies into it in one step.  In the sequence a preempted job goes through
 * (checkpoint, its memory freed, restart) that is two to three times as fast
 * on this kind of machine: the freed memory is in 4 KiB pieces, so the huge
 * pages the other path asks for cost compaction, and the zeroing is saved.
 *
 * The userfaultfd is made in the process (by an injected call, so that it
 * belongs to the process's memory), taken over by pidfd_getfd and closed in
 * the process at once: the process never holds it.  It is registered with
 * UFFD_USER_MODE_ONLY, which any user may make, and only over mappings the
 * restore has just created: no thread runs while it is registered, and it is
 * unregistered and closed before the process's first instruction (closing it
 * unregisters everything too, so a failed restore leaves nothing behind).
 * Where no userfaultfd can be had, uffd_fill_open says so and the caller
 * writes with process_vm_writev as before.
 */
#ifndef CRYO_UFFDFILL_H
#define CRYO_UFFDFILL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "inject.h"

/* A userfaultfd of the process behind in, made there with flags (O_CLOEXEC,
 * O_NONBLOCK, UFFD_USER_MODE_ONLY...), as a descriptor of ours; the
 * process's own is closed again.  -1 with e set: uffd_refused(e) when the
 * kernel refused one (e->err its errno), else the injection itself failed. */
int uffd_take(struct injector *in, int flags, int *fd, struct cryo_error *e);
int uffd_refused(const struct cryo_error *e);

struct uffd_fill {
	int fd;                     /* -1: no userfaultfd, every write goes by process_vm_writev */
	pid_t pid;
	int nr, cap;
	struct uffd_span { uint64_t start, end; } *spans;   /* registered, in address order */
};

/* A userfaultfd for pid's fresh mappings: 1 with f ready, 0 when none can be
 * had here (f->fd is -1; not an error), -1 on an error of the process. */
int uffd_fill_open(struct uffd_fill *f, struct injector *in, struct cryo_error *e);
/* Register [start, end), a mapping created by the restore and not yet
 * written; spans must come in address order. */
int uffd_fill_register(struct uffd_fill *f, uint64_t start, uint64_t end, struct cryo_error *e);
/* len bytes of data to addr in the process: by UFFDIO_COPY inside a
 * registered span, by process_vm_writev outside.  Two threads may write at
 * once.  An EFAULT reading data (a mapped file cut short) is returned as such. */
int uffd_fill_write(const struct uffd_fill *f, uint64_t addr, const void *data, size_t len, struct cryo_error *e);
/* Unregister every span and close the descriptor: before the process runs. */
int uffd_fill_close(struct uffd_fill *f, struct cryo_error *e);
/* Close without reporting anything: a restore that failed. */
void uffd_fill_abort(struct uffd_fill *f);

#endif
