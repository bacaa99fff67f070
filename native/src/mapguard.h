/* A context file mapped when it is in the page cache (the restart's one-copy path:
 * pagestream.c, lazy.c), and reads of such a mapping that survive the file
 * shrinking under them.
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
#include <stdint.h>

/* Installs the process's SIGBUS handler; executables only, before any thread starts. */
int cryo_guard_mapped_reads(struct cryo_error *e);
/* Whether cryo_guard_mapped_reads ran: mapped data may then be read in place. */
int cryo_mapped_reads_guarded(void);
/* fn(arg, p, n) with a SIGBUS inside [p, p + n) caught: 0, or EFAULT if it faulted
 * (then fn did not finish).  Only when cryo_mapped_reads_guarded(). */
int cryo_guarded_read(const void *p, size_t n, void (*fn)(void *arg, const void *p, size_t n), void *arg);
/* A file's bytes mapped read-only: file offset x is at base + (x - off). */
struct cryo_file_map {
	char *base;
	size_t len;
	uint64_t off;               /* a multiple of the page size */
};

/* Bytes [off, off + len) of fd mapped (1) if at least 95% of their pages are in the page
 * cache (a restart right after its checkpoint), else 0 and nothing mapped.
 * CRYO_PAGE_READS=mapped maps them whatever the cache holds, =read never (the tests take
 * both paths with it). */
int cryo_map_if_cached(int fd, uint64_t off, uint64_t len, struct cryo_file_map *m);
/* The file pages of [p, p + n) mapped in by the kernel in one call: 0, or the errno (a file
 * that shrank since it was mapped fails here rather than with SIGBUS). */
int cryo_populate_read(const void *p, size_t n);
/* Bytes [off, off + n) of fd, read into a buffer of the restore's and no longer needed,
 * dropped from the page cache.  Kept, a cold restart fills two copies of the image into
 * memory nothing has touched, the page cache's and the process's, and the first stays
 * after the restart, taken from the job it restored.  Measured here (cold 1 GiB restart,
 * 12 rounds alternating): 1.16 s median kept, 0.62 s dropped, against 0.68 s for dd
 * iflag=direct of the file into one fresh buffer; the reads still get the kernel's
 * readahead.  Advice, for clean pages: where it fails they stay cached, as before. */
void cryo_drop_cached(int fd, uint64_t off, size_t n);

#endif
