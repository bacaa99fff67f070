/* Copy-on-write sharing between a parent and its forked children, and the
 * other per-page facts of a mapping (guard pages): the PAGE_RANGES section.
 *
 * At checkpoint, a child's private mapping that lies inside one its parent
 * has (same kind, same file, same madvise flags) and holds pages that are the
 * parent's physical pages (/proc/PID/pagemap frame numbers) is marked
 * CRYO_VMA_INHERITED; those pages are recorded once, in the parent's image.
 * At restore the child, forked from its restored parent, keeps that mapping,
 * drops every page that was not shared, then takes its own pages. */
#ifndef CRYO_COW_H
#define CRYO_COW_H

#include <sys/types.h>
#include "inject.h"
#include "snapshot.h"

#define PM_PFN_MASK        ((1ULL << 55) - 1)
#define PM_GUARD_REGION    (1ULL << 58)     /* Linux 6.14+ */

/* For every child of t whose parent is in t: mark its inherited mappings and
 * record the pages it shares with its parent (s->shared). */
int cow_capture_tree(struct tree *t, struct cryo_error *e);
/* Is the page at addr of s one it shares with its parent (not to be saved)? */
int cow_page_is_shared(const struct snapshot *s, uint64_t addr);
/* Record a guard page at addr of the mapping starting at vma_start (pages in address order). */
int cow_add_guard(struct snapshot *s, uint64_t vma_start, uint64_t addr, struct cryo_error *e);
/* The process's PAGE_RANGES section. */
int cow_write_ranges(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
/* Read process k's PAGE_RANGES section (absent in older files) and check
 * each range lies inside a mapping of s that can hold it. */
int cow_read_ranges(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e);
/* Every inherited mapping has a parent in t whose mapping holds it. */
int cow_check_tree(const struct image_reader *r, const struct tree *t, struct cryo_error *e);

/* Restore: the mapping v of the child behind in is the one it inherited: make
 * it writable and drop the pages it does not share with its parent. */
int cow_keep_inherited(struct injector *in, const struct snapshot *s, const struct vma_rec *v, struct cryo_error *e);
/* Restore: install the guard pages of s (once its pages are in). */
int cow_restore_guards(struct injector *in, const struct snapshot *s, struct cryo_error *e);

#endif
