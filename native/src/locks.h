/* File locks held at checkpoint time (flock, POSIX, OFD), read from
 * /proc/PID/fdinfo and taken again by the restored process itself. */
#ifndef CRYO_LOCKS_H
#define CRYO_LOCKS_H

#include "inject.h"
#include "snapshot.h"

/* The locks held through regular file f of pid, into f's detail. */
int locks_capture(pid_t pid, struct fd_rec *f, struct cryo_error *e);
/* Take every lock held through s->fds[i] (a file by reference or from the
 * parent, not a dup) again, through its own descriptor (non-blocking: a
 * lock someone else holds now is an error naming the file). */
int locks_restore_fd(struct injector *in, uint64_t scratch, const struct snapshot *s, int i, struct cryo_error *e);

#endif
