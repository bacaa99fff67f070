/* Reads of a MAP_SHARED file mapping that survive the file shrinking under them.
 *
 * A mapped context file that its owner truncates turns the engine's reads of the
 * cut pages into SIGBUS.  Inside a JVM (JNI) the library must not own SIGBUS, so
 * by default it never reads a mapping itself (pagestream.c hashes through pread()).
 * The engine's own executables opt in at start: then a read armed here that
 * faults returns EFAULT instead of killing the process. */
#ifndef CRYO_MAPGUARD_H
#define CRYO_MAPGUARD_H

#include "error.h"
#include <stddef.h>

/* Installs the process's SIGBUS handler; executables only, before any thread starts. */
int cryo_guard_mapped_reads(struct cryo_error *e);
/* Whether cryo_guard_mapped_reads ran: mapped data may then be read in place. */
int cryo_mapped_reads_guarded(void);
/* fn(arg, p, n) with a SIGBUS inside [p, p + n) caught: 0, or EFAULT if it faulted
 * (then fn did not finish).  Only when cryo_mapped_reads_guarded(). */
int cryo_guarded_read(const void *p, size_t n, void (*fn)(void *arg, const void *p, size_t n), void *arg);

#endif
