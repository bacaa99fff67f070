/*
 * Page data in and out of the PAGES section at disk speed, checksummed and
 * moved by helper threads so that reading the process's memory and the disk
 * overlap.  Written through the page cache with its writeback started chunk by
 * chunk and waited for a few chunks behind (durable when the checkpoint
 * returns: iw_commit fsyncs), so that a restart right after a checkpoint reads
 * memory, not the disk; read by several threads with reads in flight, or,
 * when it is in the page cache, mapped and handed out in place.
 *
 * With w->compress the data goes out as blocks (format.h, CRYO_PAGES_BLOCKS):
 * each chunk the producer submits as 1 MiB blocks (one raw block when its
 * sample does not shrink), compressed with zstd by two worker threads while
 * the producer reads on, stored raw where zstd does not win,
 * each with its own checksum.  Reading gives the consumers page data either
 * way; a compressed block is checked and decompressed by the consumer that
 * takes it, so that two consumers decompress in parallel with their writes.
 */
#ifndef CRYO_PAGESTREAM_H
#define CRYO_PAGESTREAM_H

#include <stddef.h>
#include <stdint.h>
#include "image.h"

#define PAGESTREAM_BUFFERS 4
#define PAGESTREAM_CHUNK   (4UL << 20)
/* --compress without a level.  Measured on the stencil grid (1 MiB blocks, shuffled): a
 * checkpoint's CPU time 1.35 s at -50 (4.8x smaller), 1.56 at -20, 1.78 at -5 (5.4x), 2.12 at
 * -1 (5.6x), 1.21 plain: on two CPUs only -50 keeps up with the disk (the issue asks for 2x);
 * -100 neither saves CPU nor keeps the ratio.  The price: text-like data (log records) comes
 * out 1.7x smaller at -50, 4.0x at -10, 7.8x at -5, 23x at -1 (--compress=zstd:LEVEL). */
#define PAGESTREAM_ZSTD_LEVEL (-50)
#define PAGESTREAM_ZSTD_FASTEST (-100)   /* --compress=zstd:LEVEL: the fastest level accepted */

struct pagestream;

/* Writing: begins the PAGES section of w (as blocks if w->compress). */
int ps_write_begin(struct pagestream **ps, struct image_writer *w, struct cryo_error *e);
/* A free buffer of PAGESTREAM_CHUNK bytes to fill. */
int ps_write_buffer(struct pagestream *ps, char **buf, struct cryo_error *e);
/* Queue the buffer last returned, holding len bytes (a multiple of the page size). */
int ps_write_submit(struct pagestream *ps, size_t len, struct cryo_error *e);
/* Drain, end the section (and write its block index); frees ps even on failure. */
int ps_write_end(struct pagestream *ps, struct cryo_error *e);
/* The same, handing over (malloc'd, the caller frees; NULL for a compressed
 * section, whose blocks have checksums of their own) the checksum of every
 * CRYO_PAGE_SUM_BLOCK bytes of the section (format.h, PAGE_SUMS). */
int ps_write_end_with_sums(struct pagestream *ps, uint64_t **sums, size_t *nr_sums, struct cryo_error *e);

/* The checksum of every CRYO_PAGE_SUM_BLOCK bytes of a PAGES payload, taken
 * as the payload is written (format.h, PAGE_SUMS): the page stream's, and a
 * chain's merged file's. */
struct page_sums {
	XXH3_state_t *block;
	size_t fill;                /* bytes of the current block hashed so far */
	uint64_t *sums;
	size_t nr, cap;
	int failed;                 /* out of memory: the caller reports it at the end */
};
int page_sums_init(struct page_sums *s);                /* -1: out of memory */
void page_sums_restart(struct page_sums *s);            /* a new payload */
void page_sums_add(struct page_sums *s, const void *data, size_t len);
void page_sums_finish(struct page_sums *s);             /* the last block, short */
void page_sums_free(struct page_sums *s);
/* The PAGE_SUMS section of sums[nr]. */
int page_sums_write(struct image_writer *w, const uint64_t *sums, size_t nr, struct cryo_error *e);

/* Reading the PAGES section of r, checksum checked at the end.  Several
 * helper threads keep reads in flight; chunks become ready (hashed) in file
 * order and are taken in that order; any number of consumers take them and
 * give them back, in any order. */
int ps_read_begin(struct pagestream **ps, struct image_reader *r, const struct cryo_section_entry *pages,
		  struct cryo_error *e);
struct ps_chunk {
	const char *data;
	size_t len;                 /* 0: nothing left */
	uint64_t at;                /* offset of data in the page data (the page runs' data_offset) */
	int slot;
};
int ps_read_take(struct pagestream *ps, struct ps_chunk *chunk, struct cryo_error *e);
void ps_read_release(struct pagestream *ps, const struct ps_chunk *chunk);
/* Whether the chunks point into a mapping of the file (it was in the page cache) rather
 * than into buffers it was read into. */
int ps_read_is_mapped(const struct pagestream *ps);
/* How the section hash reads the page data (CRYO_TIMING). */
const char *ps_read_hash_path(const struct pagestream *ps);
/* A consumer's copy from a chunk failed: when the cause is the file, which shrank
 * under a mapped read, e says so (returns 1); else 0 and e is left alone. */
int ps_read_explain_copy_failure(struct pagestream *ps, struct cryo_error *e);
/* Frees ps; fails if the data did not match its checksum (or was not all read). */
int ps_read_end(struct pagestream *ps, struct cryo_error *e);

/* How many bytes of page data a PAGES section holds: its length, or for a
 * compressed one what its block index says, the index checked first (its
 * checksum, blocks contiguous, tiling the payload).  With blocks non-NULL
 * the index is handed over (malloc'd; *nr entries) for random access. */
int ps_page_data_length(struct image_reader *r, const struct cryo_section_entry *pages, uint64_t *length,
			struct cryo_page_block **blocks, size_t *nr, struct cryo_error *e);

/* A compressed PAGES section's every block read, checked and decompressed
 * (cryo_verify_file); nothing to do for plain page data. */
int ps_verify_blocks(struct image_reader *r, const struct cryo_section_entry *pages, struct cryo_error *e);

#endif
