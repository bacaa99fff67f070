/*
 * Chains of context files: an incremental file holds only the pages written
 * since its parent and names the parent by content hash (format.h, struct
 * cryo_parent).  This file opens and checks a chain, gives the merged pages
 * of a process (what a full file would hold), merges a chain into one full
 * file (cryo-engine compact, and a restart of an incremental file), and
 * writes the PARENT section of a new incremental file.
 */
#ifndef CRYO_CHAIN_H
#define CRYO_CHAIN_H

#include <stdint.h>
#include <sys/types.h>
#include "image.h"

struct chain;

/* Open path and every parent it names, newest first, each checked: header,
 * table, every section's checksum (with_pages: the page data too), the
 * parent found (at its recorded path, else under its base name beside the
 * child) with the content hash and size its child recorded.  One-line
 * errors name the file and the parent that is missing or mismatched. */
int chain_open(struct chain **c, const char *path, int with_pages, struct cryo_error *e);
void chain_close(struct chain *c);
/* Files in the chain (1: a full file). */
int chain_length(const struct chain *c);
/* The newest file's reader. */
struct image_reader *chain_head(struct chain *c);

/* The content hash a child records for the file r. */
void chain_content_hash(const struct image_reader *r, uint64_t *low, uint64_t *high);
/* Is the file at r incremental? */
int chain_is_incremental(const struct image_reader *r);

/* The pages of the process with image PID pid (or, with pid 0, the first
 * process) in the newest file, merged through the chain, in address order:
 * sink gets runs of consecutive pages (fresh: the run starts a new run of
 * the file being merged, never merged with the one before).  Pages no file
 * holds (never touched, or zero) are not given.  Returns 1 if the file has
 * no such process. */
typedef int (*chain_sink)(void *arg, uint64_t vaddr, const char *data, uint64_t nr_pages, int fresh,
			  struct cryo_error *e);
int chain_pages(struct chain *c, int32_t pid, chain_sink sink, void *arg, struct cryo_error *e);

/* cryo-engine compact: the chain ending in in, as one full file at out. */
int chain_compact(const char *in, const char *out, int replace, const char *backup, uint64_t *file_size,
		  struct cryo_error *e);
/* The newest levels files of that chain as one file at out: incremental on
 * the file below them if the chain is longer (pre-copy onto a parent), else
 * full (levels 0: the whole chain). */
int chain_compact_onto(const char *in, int levels, const char *out, int replace, const char *backup,
		       uint64_t *file_size, struct cryo_error *e);
/* precopy.c: cryo_checkpoint with pre_copy_rounds. */
struct cryo_checkpoint_opts;
struct cryo_checkpoint_stats;
int precopy_checkpoint(const struct cryo_checkpoint_opts *o, struct cryo_checkpoint_stats *stats, struct cryo_error *e);
/* A restart's first step: if path is incremental, its chain merged into a
 * nameless file beside it (else in $TMPDIR), *fd to read it by, and its
 * /proc/self/fd name in name; *fd is -1 if path is a full file. */
int chain_materialize(const char *path, int *fd, char *name, size_t size, struct cryo_error *e);

/* cryo-engine parent: the base name of path's parent and how many files lie
 * under path in its chain (0, name "": a full file), from its header, table
 * and PARENT record only (the catalog's retention keeps chains whole). */
int chain_parent_of(const char *path, char *name, size_t size, uint32_t *depth, struct cryo_error *e);

/* The PARENT section of an incremental file whose parent is parent (opened
 * as path). */
int chain_write_parent(struct image_writer *w, struct image_reader *parent, const char *path,
		       struct cryo_error *e);

#endif
