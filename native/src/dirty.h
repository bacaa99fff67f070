/*
 * Which pages a process wrote since its parent checkpoint (incremental
 * checkpoints and pre-copy).
 *
 * The tracker: an asynchronous write-protect userfaultfd
 * (UFFD_FEATURE_WP_ASYNC, Linux 6.7+) that the engine creates in the target
 * by injected syscalls, registers on its private mappings and arms by
 * write-protecting every page (PAGEMAP_SCAN with PM_SCAN_WP_MATCHING, from
 * the engine, through /proc/PID/pagemap).  A write then clears the page's
 * protection in the kernel, with no fault delivered to anyone: the next
 * checkpoint reads PAGE_IS_WRITTEN with PAGEMAP_SCAN.  The tracker is a
 * descriptor in the target, close-on-exec, moved high (below 1024) so that it
 * takes no number the program would get; every checkpoint leaves it out of
 * the file (a restored process has none), and an incremental checkpoint
 * replaces it with a fresh one, whose identity (descriptor, inode, ranges)
 * goes in the new file's TRACKER section: a tracker is used only by the
 * checkpoint whose parent armed it (a pre-copy's steps keep theirs:
 * DIRTY_KEEP_TRACKER).
 *
 * Where there is no tracker (an older kernel, a restored process, a parent
 * taken by another checkpoint, shared memory that others write too), a page
 * is compared by hash with the parent's page at the same address.
 */
#ifndef CRYO_DIRTY_H
#define CRYO_DIRTY_H

#include <stdint.h>
#include <sys/types.h>
#include "image.h"
#include "inject.h"

struct snapshot;
struct chain;
struct dirty_prescan;

enum dirty_mode {
	DIRTY_FULL = 0,             /* every page saved (no parent, or the parent lacks this process) */
	DIRTY_TRACKED = 1,          /* the tracker armed by the parent's checkpoint says */
	DIRTY_HASHED = 2,           /* pages compared by hash with the parent's */
};

/* The parent of an incremental checkpoint. */
struct dirty_parent {
	const char *path;
	struct image_reader r;      /* header, table and metadata checked */
	struct chain *chain;        /* opened when a process needs hashes */
};
int dirty_open_parent(struct dirty_parent *p, const char *path, struct cryo_error *e);
void dirty_close_parent(struct dirty_parent *p);

/* Per process, while frozen, its memory already listed (s->vmas): decide how
 * its writes are known (parent NULL: a full checkpoint), drop the trackers
 * it holds, and with arm, arm a fresh one for the next checkpoint.  With
 * rearm too, the parent's tracker, where it is the one read, is kept and
 * write-protects again instead (the same descriptor and inode in the new
 * file: only for a chain whose older files no other checkpoint takes as a
 * parent, a pre-copy's own; how: DIRTY_KEEP_TRACKER).  in and scratch (at least 64 bytes of the
 * target's) for the injected calls. */
int dirty_begin(struct injector *in, uint64_t scratch, struct snapshot *s, int is_root, struct dirty_parent *parent,
		int arm, int how, struct dirty_prescan *pre, struct cryo_error *e);
#define DIRTY_KEEP_TRACKER  1       /* how: rearm, above */
#define DIRTY_PROTECT_LATER 2       /* how: a fresh tracker is registered frozen but protects nothing until
				     * dirty_protect_later (a full file whose every page is read after that) */
/* Once the processes run again, before their pages are read: the fresh
 * tracker of DIRTY_PROTECT_LATER protects every page (a write before that is
 * in the file, being read after; one after it, the tracker's). */
void dirty_protect_later(pid_t pid, struct snapshot *s);

/* A pre-copy round's tracker read before its freeze, from outside: the pages
 * pid wrote since the parent, and every page protected again at once (a
 * write from then on is the next round's).  NULL where the parent's tracker
 * is not there to read; dirty_begin, frozen, checks the tracker is still
 * whole and takes the read (pre), or else compares hashes. */
struct dirty_prescan *dirty_prescan(pid_t pid, struct dirty_parent *parent);
void dirty_prescan_free(struct dirty_prescan *p);
/* From outside, changing nothing: the bytes of present pages pid wrote
 * since the parent, by the parent's tracker; -1 where it is not there to
 * read (a pre-copy's look before its last, frozen step). */
int64_t dirty_written_bytes(pid_t pid, struct dirty_parent *parent);
/* The checkpoint failed: the tracker dirty_begin armed goes again (frozen;
 * only if the descriptor is still that tracker). */
void dirty_disarm(struct injector *in, struct snapshot *s);
/* Whether s holds a tracker armed for the next checkpoint. */
int dirty_armed(const struct snapshot *s);
void dirty_free(struct snapshot *s);

/* Page addr, wanted by the capture: unchanged since the parent as the
 * tracker says (then recorded as the parent's, and not read)?  vma_start:
 * its mapping's start (a run of the parent's never crosses one). */
int dirty_tracked_clean(struct snapshot *s, uint64_t vma_start, uint64_t addr);
/* The first range of pages the tracker saw unchanged (and present) that
 * meets [addr, end), clipped to it: 1 and its bounds, or 0 if none (or the
 * writes are not tracked). */
int dirty_next_clean(struct snapshot *s, uint64_t addr, uint64_t end, uint64_t *start, uint64_t *end_out);
/* Such a range, whose pages are recorded as the parent's at once (after the
 * pages below it); 0, or -1 out of memory. */
int dirty_take_clean(struct snapshot *s, uint64_t vma_start, uint64_t addr, uint64_t nr_pages);
/* Page addr, read: the same as the parent's (then recorded as the parent's)? */
int dirty_same_as_parent(struct snapshot *s, uint64_t vma_start, uint64_t addr, const void *page);

/* The process's PARENT_PAGES (incremental files) and TRACKER sections. */
int dirty_write_sections(struct image_writer *w, struct snapshot *s, int incremental, struct cryo_error *e);
/* How the process's writes were known, and how many pages its parent keeps. */
int dirty_mode_of(const struct snapshot *s);
uint64_t dirty_parent_pages(const struct snapshot *s);

/* Is descriptor fd of pid a tracker of Cryo's (left out of every file)? */
int dirty_is_tracker_fd(pid_t pid, int fd);

/* Can this kernel track writes (asynchronous write-protect userfaultfd and
 * PAGEMAP_SCAN)?  Probed once in the engine itself. */
int dirty_tracking_available(void);

#endif
