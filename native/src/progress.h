/*
 * How far the page data of a checkpoint or restart has got: the engine
 * counts (the page stream as it moves data, memory capture and restore as
 * they learn how much there is), a tool shows it (tools/progress_line.c).
 * Counting costs two atomic adds per 4 MiB chunk when no one watches.
 */
#ifndef CRYO_PROGRESS_H
#define CRYO_PROGRESS_H

#include <stdint.h>

/* Called after each change, from whichever engine thread made it: must be thread-safe. */
typedef void (*cryo_progress_fn)(uint64_t done, uint64_t total);

/* Who watches (NULL: no one). */
void cryo_progress_watch(cryo_progress_fn fn);

/* There are bytes more to move (an estimate for a checkpoint, exact for a restart). */
void cryo_progress_expect(uint64_t bytes);

/* An estimate turned out to be actual bytes: the total follows. */
void cryo_progress_settle(uint64_t estimate, uint64_t actual);

/* bytes were moved. */
void cryo_progress_add(uint64_t bytes);

#endif
