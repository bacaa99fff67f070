/* Open files, saved by reference as BLCR did: path, flags, offset, fd
 * number, close-on-exec.  stdin/out/err that lead outside (a terminal, a
 * pipe, a socket) become the restarting process's own. */
#ifndef CRYO_FILES_H
#define CRYO_FILES_H

#include "memory.h"
#include "snapshot.h"

int files_capture(pid_t pid, struct snapshot *s, struct cryo_error *e);
/* Before anything is started: every file the image refers to (open files,
 * mapped files, the executable) is there and, where it matters, unchanged. */
int files_check(const struct snapshot *s, relocate_fn relocate, struct cryo_error *e);
/* In the process being restored, on itself: open every file at its number
 * and offset, close everything else but keep_fd, which may be moved out of
 * the way: returns its new number (or -1 on failure). */
int files_restore_self(const struct snapshot *s, relocate_fn relocate, int keep_fd, struct cryo_error *e);

#endif
