/*
 * Page data in and out of the PAGES section at disk speed: O_DIRECT (the
 * page cache would cost a second copy and, on a VM that returns free memory
 * to its host, a fault per page), checksummed and moved by a helper thread
 * so that reading the process's memory and the disk overlap.
 */
#ifndef CRYO_PAGESTREAM_H
#define CRYO_PAGESTREAM_H

#include <stddef.h>
#include <stdint.h>
#include "image.h"

#define PAGESTREAM_BUFFERS 4
#define PAGESTREAM_CHUNK   (4UL << 20)

struct pagestream;

/* Writing: begins the PAGES section of w. */
int ps_write_begin(struct pagestream **ps, struct image_writer *w, struct cryo_error *e);
/* A free buffer of PAGESTREAM_CHUNK bytes to fill. */
int ps_write_buffer(struct pagestream *ps, char **buf, struct cryo_error *e);
/* Queue the buffer last returned, holding len bytes (a multiple of the page size). */
int ps_write_submit(struct pagestream *ps, size_t len, struct cryo_error *e);
/* Drain, end the section; frees ps even on failure. */
int ps_write_end(struct pagestream *ps, struct cryo_error *e);

/* Reading the PAGES section of r, checksum checked at the end.  The helper
 * thread reads (and hashes) in order; any number of consumers take chunks,
 * in any order, and give them back. */
int ps_read_begin(struct pagestream **ps, struct image_reader *r, const struct cryo_section_entry *pages,
		  struct cryo_error *e);
struct ps_chunk {
	const char *data;
	size_t len;                 /* 0: nothing left */
	uint64_t at;                /* offset of data in the section */
	int slot;
};
int ps_read_take(struct pagestream *ps, struct ps_chunk *chunk, struct cryo_error *e);
void ps_read_release(struct pagestream *ps, const struct ps_chunk *chunk);
/* Frees ps; fails if the data did not match its checksum (or was not all read). */
int ps_read_end(struct pagestream *ps, struct cryo_error *e);

#endif
