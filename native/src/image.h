/* Writing and reading the context file's frame: header, checksummed
 * sections, section table (format.h).  What goes in the sections is
 * snapshot.c's and memory.c's business. */
#ifndef CRYO_IMAGE_H
#define CRYO_IMAGE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <xxhash.h>
/* XXH3 through the library's run-time dispatch (AVX2/AVX-512 where the CPU
 * has them): the plain entry points are its SSE2 build, 2.6x slower here, and
 * hashing was a quarter of a checkpoint's CPU time.  The same hash values. */
#include <xxh_x86dispatch.h>
#include "cryo/cryo.h"
#include "cryo/format.h"

#define IMAGE_MAX_SECTIONS 4096

struct image_writer {
	int fd;
	int dir_fd;                         /* the directory, opened once: all is done relative to it */
	pid_t pid;                          /* the process being saved, for errors */
	char final_path[PATH_MAX];          /* directory and name, for messages */
	char name[NAME_MAX + 1];            /* the final name in dir_fd */
	char tmp_name[NAME_MAX + 32];       /* the named temporary file in dir_fd, or "": nameless (O_TMPFILE) */
	char tmp_path[PATH_MAX + 32];       /* what messages call the file being written */
	int committed;                      /* past the commit point: the file is under its final name */
	uint64_t pos;                       /* file position of the next byte */
	struct cryo_section_entry sections[IMAGE_MAX_SECTIONS];
	int nr_sections;
	int in_section;
	XXH3_state_t *hash;
	char *buf;                          /* small writes are gathered here */
	size_t buf_len;
	int replace;                        /* enum cryo_replace: what the commit does to an old file */
	char backup[NAME_MAX + 1];          /* CRYO_REPLACE_BACKUP: its second name, or "": NAME.~N~ */
	int compress;                       /* page data as zstd blocks (pagestream.c) */
	int compress_level;                 /* zstd's level for them */
	uint32_t flags;                     /* the header's (CRYO_FILE_*) */
	int no_fsync;                       /* a step file another commit makes durable (pre-copy's rounds) */
	int durable_after_release;          /* the processes run on before the commit: while they are frozen,
					     * page data is not waited for on the disk (the fsync does it) */
};

/* Open the directory of path (path itself if it is a directory: the file is
 * then DIR/context.PID) and create the file, mode 0600, nameless with
 * O_TMPFILE or, where the file system has none, as .NAME.cryo-tmp-XXXXXX
 * held under flock(LOCK_EX).  Refuses a name that is a device, FIFO, socket
 * or symbolic link.  Removes the unlocked named temporary files of this
 * user that a killed checkpoint left in the directory. */
int iw_open(struct image_writer *w, const char *path, pid_t pid, struct cryo_error *e);
/* What the commit does to a file already under the final name (enum
 * cryo_replace; backup: the old file's second name, NULL for NAME.~N~).
 * CRYO_REPLACE_NEVER fails here already if the name is taken. */
int iw_set_replace(struct image_writer *w, int replace, const char *backup, struct cryo_error *e);
/* A second descriptor of the file being written (the page writer's, with
 * O_DIRECT where the file system takes it). */
int iw_reopen(struct image_writer *w, int flags, struct cryo_error *e);
/* Start a section; its payload starts at a multiple of align. */
int iw_begin(struct image_writer *w, uint32_t type, uint32_t align, struct cryo_error *e);
int iw_write(struct image_writer *w, const void *data, size_t len, struct cryo_error *e);
int iw_end(struct image_writer *w, struct cryo_error *e);
/* For a section whose payload was written past the writer (pagestream.c):
 * flush what is buffered first; at the end, say where the payload ended
 * and what its checksum is. */
int iw_flush(struct image_writer *w, struct cryo_error *e);
int iw_end_external(struct image_writer *w, uint64_t end, uint64_t checksum, struct cryo_error *e);
/* Table, header, fsync, then the commit point: link (or rename) the file to
 * its final name -- unless a stop was asked for first (interrupt.h) -- and
 * fsync the directory. */
int iw_commit(struct image_writer *w, uint64_t *file_size, struct cryo_error *e);
/* Table and header, but no name: the file stays nameless (a chain merged
 * for a restart, chain.c); *fd gets a descriptor to read it by, and w is
 * freed. */
int iw_finish_nameless(struct image_writer *w, int *fd, struct cryo_error *e);
/* Leave no temporary file; safe to call after a failure or a commit. */
void iw_abort(struct image_writer *w);

struct image_reader {
	int fd;
	const char *path;
	uint64_t size;
	struct cryo_file_header header;
	struct cryo_section_entry *table;
	uint32_t nr_sections;
};

/* Open and check header and section table (bounds and checksums). */
int ir_open(struct image_reader *r, const char *path, struct cryo_error *e);
/* The same with more open(2) flags (O_NOFOLLOW: a link in a user's directory is not followed). */
int ir_open_flags(struct image_reader *r, const char *path, int flags, struct cryo_error *e);
void ir_close(struct image_reader *r);
/* Check every section's checksum (skipping PAGES unless with_pages). */
int ir_verify_sections(struct image_reader *r, int with_pages, struct cryo_error *e);
/* The n-th section of a type, or NULL. */
const struct cryo_section_entry *ir_find(const struct image_reader *r, uint32_t type, int n);
/* Read a (metadata) section's payload into a malloc'd buffer. */
int ir_load(struct image_reader *r, const struct cryo_section_entry *s, void **payload, struct cryo_error *e);

#endif
