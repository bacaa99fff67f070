/* Copy-on-write sharing with the parent, and guard pages: cow.h. */
#include "cow.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE  103
#endif

#define PAGE              CRYO_PAGE_SIZE
#define PM_PRESENT        (1ULL << 63)
#define PM_SWAPPED        (1ULL << 62)
#define PM_FILE           (1ULL << 61)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_BATCH          16384     /* pagemap entries per read: 64 MiB of address space */
#define MADVISED          (CRYO_VMA_HUGEPAGE | CRYO_VMA_NOHUGEPAGE | CRYO_VMA_DONTFORK | CRYO_VMA_DONTDUMP | \
			   CRYO_VMA_WIPEONFORK)
#define MAX_RANGE_PAGES   (1ULL << 36)

/* ---- which mappings a child inherits ---- */

/* A private mapping whose pages a fork copies on write. */
static int may_be_inherited(const struct cryo_vma *v)
{
	return ((v->kind == CRYO_VMA_ANON_PRIVATE && !(v->flags & CRYO_VMA_FILE_GONE)) ||
		v->kind == CRYO_VMA_FILE_PRIVATE) && !(v->flags & (CRYO_VMA_DONTFORK | CRYO_VMA_WIPEONFORK));
}

/* The parent's mapping a fork gave the child's mapping c: it holds c's
 * range, is of the same kind and file at the same offset, and has the same
 * advice (the child keeps the parent's, so they must agree).  NULL if none. */
static const struct vma_rec *parent_holding(const struct snapshot *parent, const struct cryo_vma *c)
{
	for (int i = 0; i < parent->nr_vmas; i++) {
		const struct cryo_vma *p = &parent->vmas[i].r;
		if (p->start > c->start || c->end > p->end)
			continue;
		int same_file = p->kind == CRYO_VMA_ANON_PRIVATE ||
				(p->file.dev == c->file.dev && p->file.ino == c->file.ino &&
				 p->pgoff + (c->start - p->start) == c->pgoff);
		if (p->kind == c->kind && same_file && may_be_inherited(p) && (p->flags & MADVISED) == (c->flags & MADVISED))
			return &parent->vmas[i];
		return NULL;
	}
	return NULL;
}

/* Could both map the same physical page, copied on write by neither? */
static int may_share(uint32_t kind, uint64_t child, uint64_t parent)
{
	if (!(child & PM_PRESENT) || !(parent & PM_PRESENT) || (child | parent) & (PM_SWAPPED | PM_MMAP_EXCLUSIVE))
		return 0;
	return kind != CRYO_VMA_FILE_PRIVATE || !((child | parent) & PM_FILE);     /* not the file's page: a copy */
}

enum { NOT_SHARED, SHARED, COMPARE };

/* Frame numbers tell, when the kernel shows them (to root); without them
 * (0) a page both map more than once is shared if its contents are the
 * same, which is as good for the restore. */
static int shared_by_frame(uint32_t kind, uint64_t child, uint64_t parent)
{
	if (!may_share(kind, child, parent))
		return NOT_SHARED;
	uint64_t pfn = child & PM_PFN_MASK;
	if (!pfn || !(parent & PM_PFN_MASK))
		return COMPARE;
	return pfn == (parent & PM_PFN_MASK) ? SHARED : NOT_SHARED;
}

/* Add pages at vaddr, in address order; a range never reaches below floor
 * (its mapping's start: on disk a range lies in one mapping). */
static int append_range(struct cryo_page_range **ranges, size_t *nr, uint64_t floor, uint64_t vaddr, uint64_t nr_pages,
			uint32_t kind)
{
	if (*nr) {
		struct cryo_page_range *last = &(*ranges)[*nr - 1];
		if (last->vaddr + last->nr_pages * PAGE == vaddr && last->vaddr >= floor) {
			last->nr_pages += nr_pages;
			return 0;
		}
	}
	if (!(*nr & (*nr + 1)) || !*ranges) {         /* 0, 1, 3, 7 ...: grow to the next power of two */
		struct cryo_page_range *n = realloc(*ranges, (*nr + 1) * 2 * sizeof(*n));
		if (!n)
			return -1;
		*ranges = n;
	}
	(*ranges)[(*nr)++] = (struct cryo_page_range){ vaddr, nr_pages, kind, 0 };
	return 0;
}

static int open_proc(pid_t pid, const char *name, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cryo_fail_errno(e, pid, "memory", "open", "cannot open %s", path);
	return fd;
}

static int read_pagemap(int fd, pid_t pid, uint64_t at, size_t n, uint64_t *pm, struct cryo_error *e)
{
	ssize_t got = pread(fd, pm, n * 8, (off_t)(at / PAGE * 8));
	if (got != (ssize_t)(n * 8))
		return cryo_fail(e, pid, "memory", "pread", got < 0 ? errno : EIO, "cannot read the page map of process %d", pid);
	return 0;
}

struct pagemaps {
	pid_t child, parent;
	int child_fd, parent_fd;                        /* pagemap */
	int child_mem, parent_mem;                      /* mem */
	uint64_t *pm_child, *pm_parent;
	unsigned char *page_child, *page_parent;        /* COMPARE_PAGES each */
};

#define COMPARE_PAGES 64

/* Through /proc/PID/mem, never process_vm_readv: that pins the pages, and
 * the kernel gives a process its own copy of a shared page before it lets
 * it be pinned (memory_capture.c). */
static int read_pages(int mem_fd, uint64_t at, size_t n, unsigned char *out)
{
	for (size_t done = 0; done < n * PAGE;) {
		ssize_t got = pread(mem_fd, out + done, n * PAGE - done, (off_t)(at + done));
		if (got <= 0)
			return -1;
		done += (size_t)got;
	}
	return 0;
}

/* Pages [at, at + n * PAGE) may be shared: those with the same contents in
 * both are.  Unreadable ones are simply not shared. */
static int compare_pages(struct pagemaps *m, struct snapshot *s, const struct vma_rec *v, uint64_t at, size_t n,
			 struct cryo_error *e)
{
	while (n) {
		size_t k = n < COMPARE_PAGES ? n : COMPARE_PAGES;
		if (!read_pages(m->child_mem, at, k, m->page_child) && !read_pages(m->parent_mem, at, k, m->page_parent))
			for (size_t i = 0; i < k; i++)
				if (!memcmp(m->page_child + i * PAGE, m->page_parent + i * PAGE, PAGE) &&
				    append_range(&s->shared, &s->nr_shared, v->r.start, at + i * PAGE, 1, CRYO_RANGE_PARENTS))
					return cryo_fail(e, m->child, "memory", "malloc", ENOMEM, "out of memory");
		at += k * PAGE;
		n -= k;
	}
	return 0;
}

/* Record the pages of child mapping v that are its parent's; 1 if any. */
static int find_shared_pages(struct pagemaps *m, struct snapshot *s, struct vma_rec *v, struct cryo_error *e)
{
	size_t before = s->nr_shared;
	for (uint64_t at = v->r.start; at < v->r.end;) {
		size_t n = (size_t)((v->r.end - at) / PAGE);
		if (n > PM_BATCH)
			n = PM_BATCH;
		if (read_pagemap(m->child_fd, m->child, at, n, m->pm_child, e) ||
		    read_pagemap(m->parent_fd, m->parent, at, n, m->pm_parent, e))
			return -1;
		for (size_t i = 0; i < n;) {
			int how = shared_by_frame(v->r.kind, m->pm_child[i], m->pm_parent[i]);
			size_t j = i + 1;
			if (how == SHARED &&
			    append_range(&s->shared, &s->nr_shared, v->r.start, at + i * PAGE, 1, CRYO_RANGE_PARENTS))
				return cryo_fail(e, m->child, "memory", "malloc", ENOMEM, "out of memory");
			if (how == COMPARE) {
				while (j < n && shared_by_frame(v->r.kind, m->pm_child[j], m->pm_parent[j]) == COMPARE)
					j++;
				if (compare_pages(m, s, v, at + i * PAGE, j - i, e))
					return -1;
			}
			i = j;
		}
		at += n * PAGE;
	}
	return s->nr_shared > before;
}

static int capture_child(const struct snapshot *parent, struct snapshot *s, struct cryo_error *e)
{
	struct pagemaps m = { s->proc.pid, parent->proc.pid, -1, -1, -1, -1, NULL, NULL, NULL, NULL };
	int rc = -1;
	m.pm_child = malloc(PM_BATCH * 8);
	m.pm_parent = malloc(PM_BATCH * 8);
	m.page_child = malloc(COMPARE_PAGES * PAGE);
	m.page_parent = malloc(COMPARE_PAGES * PAGE);
	if (!m.pm_child || !m.pm_parent || !m.page_child || !m.page_parent)
		cryo_fail(e, s->proc.pid, "memory", "malloc", ENOMEM, "out of memory");
	else if ((m.child_fd = open_proc(m.child, "pagemap", e)) >= 0 && (m.parent_fd = open_proc(m.parent, "pagemap", e)) >= 0 &&
		 (m.child_mem = open_proc(m.child, "mem", e)) >= 0 && (m.parent_mem = open_proc(m.parent, "mem", e)) >= 0) {
		rc = 0;
		for (int i = 0; i < s->nr_vmas && !rc; i++) {
			struct vma_rec *v = &s->vmas[i];
			if (!may_be_inherited(&v->r) || !parent_holding(parent, &v->r))
				continue;
			int found = find_shared_pages(&m, s, v, e);
			if (found < 0)
				rc = -1;
			else if (found)
				v->r.flags |= CRYO_VMA_INHERITED;
		}
	}
	free(m.pm_child);
	free(m.pm_parent);
	free(m.page_child);
	free(m.page_parent);
	int fds[4] = { m.child_fd, m.parent_fd, m.child_mem, m.parent_mem };
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

int cow_capture_tree(struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++) {
		struct snapshot *s = &t->procs[k];
		const struct snapshot *parent = tree_find(t, s->proc.ppid);
		if (parent && parent != s && parent->proc.state == CRYO_PROCESS_LIVE && s->proc.state == CRYO_PROCESS_LIVE &&
		    capture_child(parent, s, e))
			return -1;
	}
	return 0;
}

/* ---- lookups and the section ---- */

/* The first of the ranges (by address) that ends above addr. */
static size_t first_ending_above(const struct cryo_page_range *ranges, size_t nr, uint64_t addr)
{
	size_t lo = 0, hi = nr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ranges[mid].vaddr + ranges[mid].nr_pages * PAGE <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int cow_page_is_shared(const struct snapshot *s, uint64_t addr)
{
	size_t i = first_ending_above(s->shared, s->nr_shared, addr);
	return i < s->nr_shared && s->shared[i].vaddr <= addr;
}

int cow_add_guard(struct snapshot *s, uint64_t vma_start, uint64_t addr, struct cryo_error *e)
{
	if (append_range(&s->guards, &s->nr_guards, vma_start, addr, 1, CRYO_RANGE_GUARD))
		return cryo_fail(e, s->proc.pid, "memory", "malloc", ENOMEM, "out of memory");
	return 0;
}

int cow_write_ranges(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	size_t a = 0, b = 0;
	if (iw_begin(w, CRYO_SEC_PAGE_RANGES, 8, e))
		return -1;
	while (a < s->nr_shared || b < s->nr_guards) {        /* one list, by address */
		int take_shared = b == s->nr_guards || (a < s->nr_shared && s->shared[a].vaddr < s->guards[b].vaddr);
		const struct cryo_page_range *r = take_shared ? &s->shared[a++] : &s->guards[b++];
		if (iw_write(w, r, sizeof(*r), e))
			return -1;
	}
	return iw_end(w, e);
}

static int corrupt(const struct image_reader *r, struct cryo_error *e, const char *what, size_t i)
{
	return cryo_fail(e, 0, "context file", "", 0, "context file %s is corrupt: page range %zu %s", r->path, i, what);
}

static const struct vma_rec *vma_holding(const struct snapshot *s, uint64_t start, uint64_t end)
{
	for (int i = 0; i < s->nr_vmas; i++)
		if (s->vmas[i].r.start <= start && end <= s->vmas[i].r.end)
			return &s->vmas[i];
	return NULL;
}

/* The page runs (data) and the ranges never cover the same page. */
static int overlaps_data(const struct snapshot *s, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = s->nr_runs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->runs[mid].vaddr + s->runs[mid].nr_pages * PAGE <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nr_runs && s->runs[lo].vaddr < end;
}

static int check_range(const struct snapshot *s, const struct cryo_page_range *g, uint64_t prev_end)
{
	uint64_t end = g->vaddr + g->nr_pages * PAGE;
	const struct vma_rec *v;
	if (!g->nr_pages || g->nr_pages > MAX_RANGE_PAGES || g->vaddr % PAGE || end < g->vaddr || g->vaddr < prev_end ||
	    !(v = vma_holding(s, g->vaddr, end)) || overlaps_data(s, g->vaddr, end))
		return -1;
	if (g->kind == CRYO_RANGE_PARENTS)
		return v->r.flags & CRYO_VMA_INHERITED ? 0 : -1;
	if (g->kind == CRYO_RANGE_GUARD)
		return v->r.kind == CRYO_VMA_VDSO || v->r.kind == CRYO_VMA_VVAR ? -1 : 0;
	return -1;
}

static int sort_in(struct snapshot *s, const struct cryo_page_range *g)
{
	return g->kind == CRYO_RANGE_PARENTS ? append_range(&s->shared, &s->nr_shared, g->vaddr, g->vaddr, g->nr_pages, g->kind)
					     : append_range(&s->guards, &s->nr_guards, g->vaddr, g->vaddr, g->nr_pages, g->kind);
}

/* Every inherited mapping has pages of its parent's: that is what made it one. */
static int inherited_without_pages(const struct snapshot *s)
{
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct cryo_vma *v = &s->vmas[i].r;
		if (!(v->flags & CRYO_VMA_INHERITED))
			continue;
		size_t j = first_ending_above(s->shared, s->nr_shared, v->start);
		if (!may_be_inherited(v) || j == s->nr_shared || s->shared[j].vaddr >= v->end)
			return 1;
	}
	return 0;
}

int cow_read_ranges(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	const struct cryo_section_entry *sec = ir_find(r, CRYO_SEC_PAGE_RANGES, k);
	void *buf = NULL;
	int rc = 0;
	if (sec) {
		if (ir_load(r, sec, &buf, e))
			return -1;
		if (sec->length % sizeof(struct cryo_page_range))
			rc = corrupt(r, e, "section size", 0);
		const struct cryo_page_range *g = buf;
		uint64_t prev_end = 0;
		for (size_t i = 0; !rc && i < sec->length / sizeof(*g); i++) {
			if (check_range(s, &g[i], prev_end))
				rc = corrupt(r, e, "out of bounds or of unknown kind", i);
			else if (sort_in(s, &g[i]))
				rc = cryo_fail(e, 0, "context file", "malloc", ENOMEM, "out of memory");
			prev_end = g[i].vaddr + g[i].nr_pages * PAGE;
		}
		free(buf);
	}
	if (!rc && inherited_without_pages(s))
		rc = cryo_fail(e, 0, "context file", "", 0, "context file %s is corrupt: an inherited mapping of process %d",
			       r->path, s->proc.pid);
	return rc;
}

int cow_check_tree(const struct image_reader *r, const struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		const struct snapshot *parent = tree_find(t, s->proc.ppid);
		for (int i = 0; i < s->nr_vmas; i++)
			if (s->vmas[i].r.flags & CRYO_VMA_INHERITED &&
			    (!parent || parent >= s || parent->proc.state != CRYO_PROCESS_LIVE ||
			     !parent_holding(parent, &s->vmas[i].r)))
				return cryo_fail(e, 0, "context file", "", 0,
						 "context file %s is corrupt: process %d inherits a mapping at %#lx its parent lacks",
						 r->path, s->proc.pid, (unsigned long)s->vmas[i].r.start);
	}
	return 0;
}

/* ---- restore ---- */

static int advise(struct injector *in, uint64_t start, uint64_t end, int advice, const char *what, struct cryo_error *e)
{
	return injector_call(in, "memory", what, "restore the address space of process", SYS_madvise, (long)start,
			     (long)(end - start), advice, 0, 0, 0, NULL, e);
}

int cow_keep_inherited(struct injector *in, const struct snapshot *s, const struct vma_rec *v, struct cryo_error *e)
{
	const struct cryo_vma *m = &v->r;
	long r;
	if (injector_call(in, "memory", "mprotect", "restore the address space of process", SYS_mprotect, (long)m->start,
			  (long)(m->end - m->start), PROT_READ | PROT_WRITE, 0, 0, 0, NULL, e))
		return -1;
	/* the parent's guard pages came along; the child's own go in at the end */
	if (injector_syscall(in, SYS_madvise, (long)m->start, (long)(m->end - m->start), MADV_GUARD_REMOVE, 0, 0, 0, &r, e))
		return -1;
	if (r < 0 && r != -EINVAL)
		return cryo_fail(e, in->pid, "memory", "madvise(MADV_GUARD_REMOVE)", (int)-r,
				 "cannot restore the address space of process %d", in->pid);
	/* drop what the child did not share: then its own pages go in, and the rest reads as it did */
	uint64_t at = m->start;
	for (size_t j = first_ending_above(s->shared, s->nr_shared, m->start);
	     j < s->nr_shared && s->shared[j].vaddr < m->end; j++) {
		if (s->shared[j].vaddr > at && advise(in, at, s->shared[j].vaddr, MADV_DONTNEED, "madvise(MADV_DONTNEED)", e))
			return -1;
		at = s->shared[j].vaddr + s->shared[j].nr_pages * PAGE;
	}
	return at < m->end ? advise(in, at, m->end, MADV_DONTNEED, "madvise(MADV_DONTNEED)", e) : 0;
}

int cow_restore_guards(struct injector *in, const struct snapshot *s, struct cryo_error *e)
{
	for (size_t i = 0; i < s->nr_guards; i++)
		if (advise(in, s->guards[i].vaddr, s->guards[i].vaddr + s->guards[i].nr_pages * PAGE, MADV_GUARD_INSTALL,
			   "madvise(MADV_GUARD_INSTALL)", e))
			return -1;
	return 0;
}
