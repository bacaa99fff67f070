/* Write tracking for incremental checkpoints (dirty.h). */
#include "dirty.h"
#include "chain.h"
#include "error.h"
#include "memory.h"
#include "phases.h"
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE CRYO_PAGE_SIZE
#define RES  "write tracking"

/* Linux 6.7's, which older headers lack. */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN   (1 << 1)
#define PAGE_IS_PRESENT   (1 << 3)
#define PAGE_IS_PFNZERO   (1 << 5)
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#endif

/* What Cryo's tracker asks for, and so how one is known again (fdinfo's API
 * line): a userfaultfd with exactly these features is Cryo's. */
#define TRACKER_FEATURES (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)
#define TRACKER_LOW_FD   1000       /* moved at or above: below the usual 1024 limit, above what programs use */

struct page_hash {
	uint64_t vaddr, hash;
};

struct range {
	uint64_t start, end;
};

struct dirty {
	int mode;                           /* enum dirty_mode */
	int32_t parent_pid;                 /* the process in the parent */
	struct range *clean;                /* DIRTY_TRACKED: unchanged, by address */
	size_t nr_clean, at_clean;
	struct page_hash *hashes;           /* DIRTY_HASHED: the parent's pages */
	size_t nr_hashes, cap_hashes;
	struct cryo_parent_run *from_parent;
	size_t nr_from, cap_from;
	uint64_t from_vma_start;            /* the mapping the last run is in */
	uint64_t parent_pages;
	int tracker_fd;                     /* armed here for the next checkpoint, or -1 */
	uint64_t tracker_ino;
	struct cryo_parent_run *registered;
	size_t nr_registered;
	int protect_later;                  /* registered, not yet protected: dirty_protect_later */
};

/* ---- the parent ---- */

int dirty_open_parent(struct dirty_parent *p, const char *path, struct cryo_error *e)
{
	memset(p, 0, sizeof(*p));
	p->path = path;
	p->r.fd = -1;
	if (ir_open(&p->r, path, e))
		return cryo_fail(e, 0, "context file", "", e->err, "parent: %s", e->msg);
	if (ir_verify_sections(&p->r, 0, e)) {
		ir_close(&p->r);
		return cryo_fail(e, 0, "context file", "", e->err, "parent: %s", e->msg);
	}
	return 0;
}

void dirty_close_parent(struct dirty_parent *p)
{
	if (p->r.fd >= 0)
		ir_close(&p->r);
	p->r.fd = -1;
	chain_close(p->chain);
	p->chain = NULL;
}

/* The TRACKER record of process pid in the parent, ranges malloc'd; 0 if none. */
static int parent_tracker(struct dirty_parent *p, int32_t pid, struct cryo_tracker *t, struct cryo_parent_run **ranges)
{
	const struct cryo_section_entry *s;
	struct cryo_error ignored;
	for (int k = 0; (s = ir_find(&p->r, CRYO_SEC_TRACKER, k)); k++) {
		void *buf;
		if (s->length < sizeof(*t) || ir_load(&p->r, s, &buf, &ignored))
			continue;
		memcpy(t, buf, sizeof(*t));
		if (t->pid == pid && t->record_size == s->length &&
		    t->nr_ranges == (s->length - sizeof(*t)) / sizeof(**ranges) &&
		    (s->length - sizeof(*t)) % sizeof(**ranges) == 0 && (*ranges = malloc(t->nr_ranges * sizeof(**ranges) + 1))) {
			memcpy(*ranges, (char *)buf + sizeof(*t), t->nr_ranges * sizeof(**ranges));
			free(buf);
			return 1;
		}
		free(buf);
	}
	return 0;
}

/* Does the parent hold process pid? */
static int parent_has_process(struct dirty_parent *p, int32_t pid)
{
	const struct cryo_section_entry *s;
	for (int k = 0; (s = ir_find(&p->r, CRYO_SEC_PROCESS, k)); k++) {
		int32_t got;
		if (s->length >= 8 && pread(p->r.fd, &got, 4, (off_t)s->offset + 4) == 4 && got == pid)
			return 1;
	}
	return 0;
}

static int first_parent_pid(struct dirty_parent *p)
{
	const struct cryo_section_entry *s = ir_find(&p->r, CRYO_SEC_PROCESS, 0);
	int32_t got = 0;
	if (s && s->length >= 8 && pread(p->r.fd, &got, 4, (off_t)s->offset + 4) != 4)
		got = 0;
	return got;
}

/* ---- trackers in the target ---- */

static int read_link_of(pid_t pid, int fd, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(path, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The features of userfaultfd fd of pid (fdinfo "API:\t%llx:%x:%llx"), or -1. */
static long long uffd_features(pid_t pid, int fd)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	ssize_t n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *api = strstr(buf, "API:");
	unsigned long long version, ioctls;
	unsigned features;
	if (!api || sscanf(api + 4, " %llx:%x:%llx", &version, &features, &ioctls) != 3)
		return -1;
	return features;
}

int dirty_is_tracker_fd(pid_t pid, int fd)
{
	char link[64];
	if (read_link_of(pid, fd, link, sizeof(link)) || strcmp(link, "anon_inode:[userfaultfd]"))
		return 0;
	long long f = uffd_features(pid, fd);
	/* the kernel adds a bit of its own once the API is agreed (UFFD_FEATURE_INITIALIZED) */
	return f >= 0 && (f & 0x7fffffffLL) == TRACKER_FEATURES;
}

static uint64_t inode_of(pid_t pid, int fd)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void close_in_target(struct injector *in, int fd)
{
	long r;
	struct cryo_error ignored;
	injector_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0, &r, &ignored);
}

/* Every tracker of Cryo's the process holds (there is one at most, but a
 * child forked since holds its parent's too). */
static int list_trackers(pid_t pid, int *fds, int max)
{
	char path[64];
	int n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d)) && n < max;)
		if (de->d_name[0] != '.' && dirty_is_tracker_fd(pid, atoi(de->d_name)))
			fds[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

static int open_pagemap(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Is the tracker t among pid's descriptors fds (list_trackers), the same file? */
static int holds_tracker(pid_t pid, const int *fds, int nr, const struct cryo_tracker *t)
{
	for (int i = 0; i < nr; i++)
		if (fds[i] == t->fd && inode_of(pid, fds[i]) == t->ino)
			return 1;
	return 0;
}

static int add_range(struct range **v, size_t *n, size_t *cap, uint64_t start, uint64_t end)
{
	if (*n && (*v)[*n - 1].end == start) {
		(*v)[*n - 1].end = end;
		return 0;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		struct range *g = realloc(*v, *cap * sizeof(**v));
		if (!g)
			return -1;
		*v = g;
	}
	(*v)[(*n)++] = (struct range){ start, end };
	return 0;
}

#define SCAN_REGIONS 4096

/* PAGEMAP_SCAN over [start, end): the regions whose categories match, as
 * ranges (with wp: write-protecting what matched). */
static int scan(int pagemap, uint64_t start, uint64_t end, uint64_t flags, uint64_t inverted, uint64_t mask,
		struct range **out, size_t *n, size_t *cap)
{
	struct page_region *vec = out ? malloc(SCAN_REGIONS * sizeof(*vec)) : NULL;
	if (out && !vec)
		return -1;
	int rc = 0;
	while (start < end) {
		struct pm_scan_arg a = {
			.size = sizeof(a), .flags = flags, .start = start, .end = end,
			.vec = (uint64_t)(uintptr_t)vec, .vec_len = vec ? SCAN_REGIONS : 0,
			.category_inverted = inverted, .category_mask = mask, .return_mask = mask ? mask : PAGE_IS_WRITTEN,
		};
		long got = ioctl(pagemap, PAGEMAP_SCAN, &a);
		if (got < 0) {
			rc = -1;
			break;
		}
		for (long i = 0; i < got && out; i++)
			if (add_range(out, n, cap, vec[i].start, vec[i].end)) {
				rc = -1;
				goto done;
			}
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
done:
	free(vec);
	return rc;
}

/* PAGEMAP_SCAN over [start, end): the pages with any of the categories anyof
 * (after inverting those of inverted), appended as ranges. */
static int scan_any(int pagemap, uint64_t start, uint64_t end, uint64_t inverted, uint64_t anyof, struct range **out,
		    size_t *n, size_t *cap)
{
	struct page_region *vec = malloc(SCAN_REGIONS * sizeof(*vec));
	if (!vec)
		return -1;
	int rc = 0;
	while (start < end && !rc) {
		struct pm_scan_arg a = {
			.size = sizeof(a), .start = start, .end = end, .vec = (uint64_t)(uintptr_t)vec, .vec_len = SCAN_REGIONS,
			.category_inverted = inverted, .category_anyof_mask = anyof, .return_mask = anyof,
		};
		long got = ioctl(pagemap, PAGEMAP_SCAN, &a);
		if (got < 0) {
			rc = -1;
			break;
		}
		for (long i = 0; i < got && !rc; i++)
			rc = add_range(out, n, cap, vec[i].start, vec[i].end);
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	free(vec);
	return rc;
}

/* Pages the tracker has seen no write to (nor a drop: a zero page read back
 * after MADV_DONTNEED is no longer the parent's), present, within the ranges
 * it was registered on: the capture takes them as the parent's without
 * reading their page map entries (one in swap is read and saved again). */
static int tracked_clean_ranges(struct dirty *d, pid_t pid, const struct cryo_parent_run *ranges, size_t nr)
{
	int pm = open_pagemap(pid);
	size_t cap = 0;
	if (pm < 0)
		return -1;
	int rc = 0;
	uint64_t need = PAGE_IS_WPALLOWED | PAGE_IS_WRITTEN | PAGE_IS_PFNZERO | PAGE_IS_PRESENT;
	for (size_t i = 0; i < nr && !rc; i++)
		rc = scan(pm, ranges[i].vaddr, ranges[i].vaddr + ranges[i].nr_pages * PAGE, 0,
			  PAGE_IS_WRITTEN | PAGE_IS_PFNZERO, need, &d->clean, &d->nr_clean, &cap);
	close(pm);
	return rc;
}

/* Private mappings only: a shared one is written by others too, whom the
 * process's own page table does not see. */
static int trackable(const struct vma_rec *v)
{
	return (v->r.kind == CRYO_VMA_ANON_PRIVATE || v->r.kind == CRYO_VMA_FILE_PRIVATE) &&
	       !(v->r.flags & CRYO_VMA_DROPPABLE);
}

static int lowest_tracker_fd(pid_t pid)
{
	struct rlimit l;
	if (prlimit(pid, RLIMIT_NOFILE, NULL, &l) < 0)
		return -1;
	rlim_t top = l.rlim_cur > 1024 ? 1024 : l.rlim_cur;
	return top > TRACKER_LOW_FD + 8 ? TRACKER_LOW_FD : top > 16 ? (int)top - 8 : -1;
}

/* A fresh userfaultfd in the target at a high number, its API agreed. */
static int create_tracker(struct injector *in, uint64_t scratch, int *fd, struct cryo_error *e)
{
	long r, hi;
	int low = lowest_tracker_fd(in->tgid);
	if (low < 0)
		return cryo_fail(e, in->tgid, RES, "prlimit", EMFILE, "no room for a tracker descriptor in process %d", in->tgid);
	if (injector_call(in, RES, "userfaultfd", "create a write tracker in process", SYS_userfaultfd,
			  O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, 0, 0, 0, 0, 0, &r, e))
		return -1;
	int rc = injector_call(in, RES, "fcntl", "move the write tracker of process", SYS_fcntl, r, F_DUPFD_CLOEXEC, low,
			       0, 0, 0, &hi, e);
	close_in_target(in, (int)r);
	if (rc)
		return -1;
	struct uffdio_api api = { .api = UFFD_API, .features = TRACKER_FEATURES };
	if (memory_poke(in->pid, scratch, &api, sizeof(api), e) ||
	    injector_call(in, RES, "ioctl", "set up the write tracker of process", SYS_ioctl, hi, (long)UFFDIO_API,
			  (long)scratch, 0, 0, 0, NULL, e)) {
		close_in_target(in, (int)hi);
		return -1;
	}
	*fd = (int)hi;
	return 0;
}

static int add_registered(struct dirty *d, size_t *cap, uint64_t start, uint64_t end)
{
	if (d->nr_registered == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		struct cryo_parent_run *g = realloc(d->registered, *cap * sizeof(*g));
		if (!g)
			return -1;
		d->registered = g;
	}
	d->registered[d->nr_registered++] = (struct cryo_parent_run){ start, (end - start) / PAGE };
	return 0;
}

/* Register the private mappings (one that cannot be, e.g. owned by the
 * program's own userfaultfd, stays untracked), then write-protect all their
 * pages from here. */
static int register_mappings(struct injector *in, uint64_t scratch, struct dirty *d, const struct snapshot *s,
			     int later, struct cryo_error *e)
{
	size_t cap = 0;
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct vma_rec *v = &s->vmas[i];
		if (!trackable(v))
			continue;
		struct uffdio_register reg = { .range = { v->r.start, v->r.end - v->r.start }, .mode = UFFDIO_REGISTER_MODE_WP };
		long r;
		if (memory_poke(in->pid, scratch, &reg, sizeof(reg), e) ||
		    injector_syscall(in, SYS_ioctl, d->tracker_fd, (long)UFFDIO_REGISTER, (long)scratch, 0, 0, 0, &r, e))
			return -1;
		if (r == 0 && add_registered(d, &cap, v->r.start, v->r.end))
			return cryo_fail(e, in->tgid, RES, "malloc", ENOMEM, "out of memory");
	}
	d->protect_later = later;
	if (later)
		return 0;
	int pm = open_pagemap(in->tgid);
	if (pm < 0)
		return cryo_fail_errno(e, in->tgid, RES, "open", "cannot open the page map of process %d", in->tgid);
	for (size_t i = 0; i < d->nr_registered; i++)
		if (scan(pm, d->registered[i].vaddr, d->registered[i].vaddr + d->registered[i].nr_pages * PAGE,
			 PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, 0, PAGE_IS_WRITTEN, NULL, NULL, NULL)) {
			int err = errno;
			close(pm);
			return cryo_fail(e, in->tgid, RES, "ioctl", err, "cannot write-protect the memory of process %d (PAGEMAP_SCAN)",
					 in->tgid);
		}
	close(pm);
	return 0;
}

/* Is [start, end) inside the union of ranges (sorted, as a snapshot lists mappings)? */
static int covered_by(const struct cryo_parent_run *ranges, size_t nr, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < nr && start < end; i++) {
		uint64_t rs = ranges[i].vaddr, re = rs + ranges[i].nr_pages * PAGE;
		if (rs <= start && start < re)
			start = re;
	}
	return start >= end;
}

/* Write-protect [start, end) again from here; fails (EPERM) where a mapping
 * in it is no longer under an asynchronous write-protect registration. */
static int protect_range(int pm, uint64_t start, uint64_t end)
{
	return scan(pm, start, end, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, 0, PAGE_IS_WRITTEN, NULL, NULL, NULL);
}

/* Are the ranges still under an asynchronous write-protect registration,
 * every mapping in them?  Cheap: no page is walked (each mapping is
 * asked for pages that are not write-protectable, and has none). */
static int still_protectable(int pm, const struct cryo_parent_run *ranges, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (scan(pm, ranges[i].vaddr, ranges[i].vaddr + ranges[i].nr_pages * PAGE, PM_SCAN_CHECK_WPASYNC,
			 PAGE_IS_WPALLOWED, PAGE_IS_WPALLOWED, NULL, NULL, NULL))
			return 0;
	return 1;
}

/* Write-protect every page of the ranges again; 0, or -1 (some may be). */
static int protect_ranges(int pm, const struct cryo_parent_run *ranges, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (protect_range(pm, ranges[i].vaddr, ranges[i].vaddr + ranges[i].nr_pages * PAGE))
			return -1;
	return 0;
}

/* The tracker t kept: the mappings it does not cover yet are registered by
 * injected calls and protected, and the ranges it covers now recorded. */
static int keep_tracker(struct injector *in, uint64_t scratch, struct dirty *d, const struct snapshot *s,
			const struct cryo_tracker *t, const struct cryo_parent_run *old, struct cryo_error *e)
{
	int pm = open_pagemap(in->tgid);
	size_t cap = 0;
	if (pm < 0)
		return cryo_fail_errno(e, in->tgid, RES, "open", "cannot open the page map of process %d", in->tgid);
	d->tracker_fd = t->fd;
	d->tracker_ino = t->ino;
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct vma_rec *v = &s->vmas[i];
		int ok = trackable(v) && covered_by(old, t->nr_ranges, v->r.start, v->r.end);
		if (trackable(v) && !ok) {
			/* new since the parent: its pages are all saved now, and tracked from here on */
			struct uffdio_register reg = { .range = { v->r.start, v->r.end - v->r.start }, .mode = UFFDIO_REGISTER_MODE_WP };
			long r;
			if (memory_poke(in->pid, scratch, &reg, sizeof(reg), e) ||
			    injector_syscall(in, SYS_ioctl, d->tracker_fd, (long)UFFDIO_REGISTER, (long)scratch, 0, 0, 0, &r, e)) {
				close(pm);
				return -1;
			}
			if (r == 0 && protect_range(pm, v->r.start, v->r.end)) {
				int err = errno;
				close(pm);
				return cryo_fail(e, in->tgid, RES, "ioctl", err,
						 "cannot write-protect the memory of process %d (PAGEMAP_SCAN)", in->tgid);
			}
			ok = r == 0;
		}
		if (ok && add_registered(d, &cap, v->r.start, v->r.end)) {
			close(pm);
			return cryo_fail(e, in->tgid, RES, "malloc", ENOMEM, "out of memory");
		}
	}
	close(pm);
	return 0;
}

/*
 * The tracker the parent armed, kept for the next checkpoint: its clean
 * pages are read (d->clean), so every page is write-protected again (one
 * PAGEMAP_SCAN per range, from here) and only mappings it does not cover
 * yet are registered.  Closing the old tracker would cost the kernel a walk
 * of every page to drop its protection, and a fresh one a second walk to set
 * it.  Returns 1, nothing kept, where a range is no longer protectable as a
 * whole (then a fresh tracker replaces it; d->clean, read before, stands).
 */
static int rearm_in_place(struct injector *in, uint64_t scratch, struct dirty *d, const struct snapshot *s,
			  const struct cryo_tracker *t, const struct cryo_parent_run *old, struct cryo_error *e)
{
	int pm = open_pagemap(in->tgid);
	if (pm < 0)
		return 1;
	int rc = protect_ranges(pm, old, t->nr_ranges);
	close(pm);
	return rc ? 1 : keep_tracker(in, scratch, d, s, t, old, e);
}

/* ---- a pre-copy round's read, before its freeze ---- */

struct dirty_prescan {
	pid_t pid;
	int spoiled;                        /* protected again in part: the tracker says nothing true */
	struct cryo_tracker t;
	struct cryo_parent_run *ranges;
	struct range *clean;
	size_t nr_clean;
};

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The registered ranges less the not-clean ones (any order, may overlap), into d->clean. */
static int clean_from(struct dirty *d, const struct cryo_parent_run *reg, size_t nr_reg, struct range *bad, size_t nr_bad)
{
	size_t cap = 0;
	qsort(bad, nr_bad, sizeof(*bad), by_start);
	for (size_t i = 0; i < nr_reg; i++) {
		uint64_t at = reg[i].vaddr, end = at + reg[i].nr_pages * PAGE;
		for (size_t k = 0; k < nr_bad && bad[k].start < end && at < end; k++) {
			if (bad[k].end <= at)
				continue;
			if (bad[k].start > at && add_range(&d->clean, &d->nr_clean, &cap, at, bad[k].start))
				return -1;
			at = bad[k].end;
		}
		if (at < end && add_range(&d->clean, &d->nr_clean, &cap, at, end))
			return -1;
	}
	return 0;
}

/*
 * Running, so in one pass per page: the pages written since the last
 * protection are read and protected again at once (PM_SCAN_WP_MATCHING), and
 * only then are the pages that are not present or the zero page looked for
 * (a write after the first pass is the next step's whatever it finds; one
 * between a look for clean pages and a protection after it would be lost).
 */
static int read_and_protect(struct dirty *d, int pm, const struct cryo_parent_run *reg, size_t nr, int *spoiled)
{
	struct range *bad = NULL;
	size_t nr_bad = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i < nr && !rc; i++)
		if (scan(pm, reg[i].vaddr, reg[i].vaddr + reg[i].nr_pages * PAGE, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
			 0, PAGE_IS_WRITTEN, &bad, &nr_bad, &cap))
			rc = *spoiled = 1;
	/* not present (PAGE_IS_PRESENT inverted), or the zero page */
	for (size_t i = 0; i < nr && !rc; i++)
		if (scan_any(pm, reg[i].vaddr, reg[i].vaddr + reg[i].nr_pages * PAGE, PAGE_IS_PRESENT,
			     PAGE_IS_PRESENT | PAGE_IS_PFNZERO, &bad, &nr_bad, &cap))
			rc = -1;
	if (!rc && clean_from(d, reg, nr, bad, nr_bad))
		rc = -1;
	free(bad);
	return rc;
}

/* The tracker the parent recorded for pid, still in pid: its record and ranges (*ranges
 * the caller's to free), and pid's page map open; -1 (nothing to free) where it is not. */
static int open_parents_tracker(pid_t pid, struct dirty_parent *parent, struct cryo_tracker *t,
				struct cryo_parent_run **ranges)
{
	int old[16], nr_old = list_trackers(pid, old, 16);
	*ranges = NULL;
	if (!parent_has_process(parent, pid) || !parent_tracker(parent, pid, t, ranges))
		return -1;
	int pm = holds_tracker(pid, old, nr_old, t) ? open_pagemap(pid) : -1;
	if (pm < 0) {
		free(*ranges);
		*ranges = NULL;
	}
	return pm;
}

struct dirty_prescan *dirty_prescan(pid_t pid, struct dirty_parent *parent)
{
	struct dirty_prescan *p = calloc(1, sizeof(*p));
	struct dirty d = { .tracker_fd = -1 };
	int pm = p ? open_parents_tracker(pid, parent, &p->t, &p->ranges) : -1;
	if (pm < 0)
		goto none;
	if (!still_protectable(pm, p->ranges, p->t.nr_ranges)) {
		close(pm);
		goto none;
	}
	int spoiled = 0;
	if (read_and_protect(&d, pm, p->ranges, p->t.nr_ranges, &spoiled)) {
		/* protected again, in part or whole, and not read: the tracker's word is lost */
		free(d.clean);
		d.clean = NULL;
		d.nr_clean = 0;
		spoiled = 1;
	}
	p->clean = d.clean;
	p->nr_clean = d.nr_clean;
	p->spoiled = spoiled;
	close(pm);
	p->pid = pid;
	return p;
none:
	dirty_prescan_free(p);
	return NULL;
}

int64_t dirty_written_bytes(pid_t pid, struct dirty_parent *parent)
{
	struct cryo_tracker t;
	struct cryo_parent_run *ranges;
	int pm = open_parents_tracker(pid, parent, &t, &ranges);
	if (pm < 0)
		return -1;
	struct range *w = NULL;
	size_t nr = 0, cap = 0;
	int64_t bytes = 0;
	/* present and written: what the frozen step would read (a page never present reads as zero) */
	for (size_t i = 0; bytes >= 0 && i < t.nr_ranges; i++)
		if (scan(pm, ranges[i].vaddr, ranges[i].vaddr + ranges[i].nr_pages * PAGE, 0, 0,
			 PAGE_IS_WRITTEN | PAGE_IS_PRESENT, &w, &nr, &cap))
			bytes = -1;
	for (size_t i = 0; bytes >= 0 && i < nr; i++)
		bytes += (int64_t)(w[i].end - w[i].start);
	free(w);
	free(ranges);
	close(pm);
	return bytes;
}

void dirty_prescan_free(struct dirty_prescan *p)
{
	if (!p)
		return;
	free(p->ranges);
	free(p->clean);
	free(p);
}

/* Frozen: is the tracker the prescan read still there, whole?  Then its
 * clean pages are this checkpoint's. */
static int prescan_holds(struct dirty_prescan *p, pid_t pid, const int *old, int nr_old)
{
	if (p->spoiled || p->pid != pid)
		return 0;
	int pm = holds_tracker(pid, old, nr_old, &p->t) ? open_pagemap(pid) : -1;
	if (pm < 0)
		return 0;
	int found = still_protectable(pm, p->ranges, p->t.nr_ranges);
	close(pm);
	return found;
}

static int arm(struct injector *in, uint64_t scratch, struct dirty *d, const struct snapshot *s, int later,
	       struct cryo_error *e)
{
	if (!dirty_tracking_available())
		return 0;
	struct cryo_error why;
	if (create_tracker(in, scratch, &d->tracker_fd, &why)) {
		d->tracker_fd = -1;         /* no tracker: the next one compares hashes */
		return 0;
	}
	if (register_mappings(in, scratch, d, s, later, e)) {
		close_in_target(in, d->tracker_fd);
		d->tracker_fd = -1;
		return -1;
	}
	d->tracker_ino = inode_of(in->tgid, d->tracker_fd);
	return 0;
}

/* ---- the parent's page hashes ---- */

static int keep_hash(void *arg, uint64_t vaddr, const char *data, uint64_t nr_pages, int fresh, struct cryo_error *e)
{
	struct dirty *d = arg;
	for (uint64_t i = 0; i < nr_pages; i++) {
		if (d->nr_hashes == d->cap_hashes) {
			d->cap_hashes = d->cap_hashes ? d->cap_hashes * 2 : 4096;
			struct page_hash *g = realloc(d->hashes, d->cap_hashes * sizeof(*g));
			if (!g)
				return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
			d->hashes = g;
		}
		d->hashes[d->nr_hashes++] = (struct page_hash){ vaddr + i * PAGE, XXH3_64bits(data + i * PAGE, PAGE) };
	}
	return 0;
}

static int load_parent_hashes(struct dirty *d, struct dirty_parent *p, struct cryo_error *e)
{
	if (!p->chain && chain_open(&p->chain, p->path, 1, e))
		return cryo_fail(e, 0, "context file", "", e->err, "parent: %s", e->msg);
	int rc = chain_pages(p->chain, d->parent_pid, keep_hash, d, e);
	return rc < 0 ? -1 : 0;
}

/* ---- per process ---- */

int dirty_begin(struct injector *in, uint64_t scratch, struct snapshot *s, int is_root, struct dirty_parent *parent,
		int arm_next, int how, struct dirty_prescan *pre, struct cryo_error *e)
{
	int rearm = how & DIRTY_KEEP_TRACKER;
	struct dirty *d = calloc(1, sizeof(*d));
	if (!d)
		return cryo_fail(e, in->tgid, RES, "malloc", ENOMEM, "out of memory");
	d->tracker_fd = -1;
	s->dirty = d;
	pid_t pid = in->tgid;
	int old[16], nr_old = list_trackers(pid, old, 16);
	if (parent) {
		d->parent_pid = parent_has_process(parent, pid) ? pid : is_root ? first_parent_pid(parent) : 0;
		struct cryo_tracker t;
		struct cryo_parent_run *ranges = NULL;
		int use_tracker = 0;
		if (pre && pre->pid == pid && d->parent_pid == pid) {
			/* read before the freeze, and protected again: the tracker's word is that
			 * read's, or (gone, spoiled, a mapping replaced meanwhile) nobody's */
			if (prescan_holds(pre, pid, old, nr_old)) {
				d->mode = DIRTY_TRACKED;
				d->clean = pre->clean;
				d->nr_clean = pre->nr_clean;
				pre->clean = NULL;
				int rc = arm_next && rearm ? keep_tracker(in, scratch, d, s, &pre->t, pre->ranges, e) : 0;
				if (rc) {
					free(ranges);
					return -1;
				}
				for (int i = 0; arm_next && rearm && i < nr_old; i++)
					if (old[i] == pre->t.fd)
						old[i] = old[--nr_old];     /* kept, not closed */
				if (rearm)
					arm_next = 0;
			}
		} else if (d->parent_pid == pid && parent_tracker(parent, pid, &t, &ranges)) {
			use_tracker = holds_tracker(pid, old, nr_old, &t);
		}
		if (d->mode == DIRTY_TRACKED) {
			/* the prescan's */
		} else if (use_tracker && tracked_clean_ranges(d, pid, ranges, t.nr_ranges) == 0) {
			d->mode = DIRTY_TRACKED;
			if (arm_next && rearm) {
				int kept = rearm_in_place(in, scratch, d, s, &t, ranges, e);
				if (kept < 0) {
					free(ranges);
					return -1;
				}
				for (int i = 0; kept == 0 && i < nr_old; i++)
					if (old[i] == t.fd)
						old[i] = old[--nr_old];     /* kept, not closed */
				if (kept == 0)
					arm_next = 0;
			}
		} else if (d->parent_pid) {
			free(d->clean);
			d->clean = NULL;
			d->nr_clean = 0;
			d->mode = DIRTY_HASHED;
			if (load_parent_hashes(d, parent, e)) {
				free(ranges);
				return -1;
			}
		}
		free(ranges);
	}
	/* what the last checkpoint armed is read: it goes, and a fresh one takes its place */
	for (int i = 0; i < nr_old; i++)
		close_in_target(in, old[i]);
	phase_done("tracker read");
	int rc = arm_next ? arm(in, scratch, d, s, (how & DIRTY_PROTECT_LATER) != 0, e) : 0;
	phase_done("tracker armed");
	return rc;
}

void dirty_protect_later(pid_t pid, struct snapshot *s)
{
	struct dirty *d = s->dirty;
	if (!d || !d->protect_later || d->tracker_fd < 0)
		return;
	d->protect_later = 0;
	int pm = open_pagemap(pid);
	/* not armed whole: no TRACKER record, the next checkpoint compares hashes (and closes it) */
	if (pm < 0 || protect_ranges(pm, d->registered, d->nr_registered))
		d->tracker_fd = -1;
	if (pm >= 0)
		close(pm);
}

void dirty_disarm(struct injector *in, struct snapshot *s)
{
	struct dirty *d = s->dirty;
	if (!d || d->tracker_fd < 0)
		return;
	/* still the tracker it armed: a process let go may have closed it and reused the number since */
	if (d->tracker_ino && inode_of(in->tgid, d->tracker_fd) == d->tracker_ino)
		close_in_target(in, d->tracker_fd);
	d->tracker_fd = -1;
}

int dirty_armed(const struct snapshot *s)
{
	return s->dirty && s->dirty->tracker_fd >= 0;
}

void dirty_free(struct snapshot *s)
{
	struct dirty *d = s->dirty;
	if (!d)
		return;
	free(d->clean);
	free(d->hashes);
	free(d->from_parent);
	free(d->registered);
	free(d);
	s->dirty = NULL;
}

static void record_from_parent(struct dirty *d, uint64_t vma_start, uint64_t addr)
{
	if (d->nr_from) {
		struct cryo_parent_run *last = &d->from_parent[d->nr_from - 1];
		uint64_t end = last->vaddr + last->nr_pages * PAGE;
		if (addr < end)
			return;             /* asked twice */
		if (addr == end && d->from_vma_start == vma_start) {
			last->nr_pages++;
			d->parent_pages++;
			return;
		}
	}
	if (d->nr_from == d->cap_from) {
		size_t cap = d->cap_from ? d->cap_from * 2 : 256;
		struct cryo_parent_run *g = realloc(d->from_parent, cap * sizeof(*g));
		if (!g)
			return;             /* the page is saved instead: see the callers */
		d->from_parent = g;
		d->cap_from = cap;
	}
	d->from_parent[d->nr_from++] = (struct cryo_parent_run){ addr, 1 };
	d->from_vma_start = vma_start;
	d->parent_pages++;
}

/* Recorded, or (out of memory) not: then the caller saves the page. */
static int taken_from_parent(struct dirty *d, uint64_t vma_start, uint64_t addr)
{
	size_t before = d->parent_pages;
	record_from_parent(d, vma_start, addr);
	if (d->parent_pages != before)
		return 1;
	if (!d->nr_from)
		return 0;
	const struct cryo_parent_run *last = &d->from_parent[d->nr_from - 1];
	return addr >= last->vaddr && addr < last->vaddr + last->nr_pages * PAGE;
}

/* The first clean range (sorted, disjoint) that ends after addr: nr_clean if none. */
static size_t first_clean_ending_after(const struct dirty *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nr_clean;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->clean[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int dirty_tracked_clean(struct snapshot *s, uint64_t vma_start, uint64_t addr)
{
	struct dirty *d = s->dirty;
	if (!d || d->mode != DIRTY_TRACKED)
		return 0;
	/* asked in address order: a cursor, not a search */
	while (d->at_clean < d->nr_clean && d->clean[d->at_clean].end <= addr)
		d->at_clean++;
	if (d->at_clean == d->nr_clean || d->clean[d->at_clean].start > addr) {
		/* an address before the cursor (a new mapping's start) */
		size_t lo = first_clean_ending_after(d, addr);
		d->at_clean = lo;
		if (lo == d->nr_clean || d->clean[lo].start > addr)
			return 0;
	}
	return taken_from_parent(d, vma_start, addr);
}

int dirty_next_clean(struct snapshot *s, uint64_t addr, uint64_t end, uint64_t *start_out, uint64_t *end_out)
{
	struct dirty *d = s->dirty;
	if (!d || d->mode != DIRTY_TRACKED)
		return 0;
	size_t lo = first_clean_ending_after(d, addr);
	if (lo == d->nr_clean || d->clean[lo].start >= end)
		return 0;
	*start_out = d->clean[lo].start > addr ? d->clean[lo].start : addr;
	*end_out = d->clean[lo].end < end ? d->clean[lo].end : end;
	return 1;
}

int dirty_take_clean(struct snapshot *s, uint64_t vma_start, uint64_t addr, uint64_t nr_pages)
{
	struct dirty *d = s->dirty;
	if (d->nr_from) {
		struct cryo_parent_run *last = &d->from_parent[d->nr_from - 1];
		if (last->vaddr + last->nr_pages * PAGE == addr && d->from_vma_start == vma_start) {
			last->nr_pages += nr_pages;
			d->parent_pages += nr_pages;
			return 0;
		}
	}
	if (d->nr_from == d->cap_from) {
		size_t cap = d->cap_from ? d->cap_from * 2 : 256;
		struct cryo_parent_run *g = realloc(d->from_parent, cap * sizeof(*g));
		if (!g)
			return -1;
		d->from_parent = g;
		d->cap_from = cap;
	}
	d->from_parent[d->nr_from++] = (struct cryo_parent_run){ addr, nr_pages };
	d->from_vma_start = vma_start;
	d->parent_pages += nr_pages;
	return 0;
}

int dirty_same_as_parent(struct snapshot *s, uint64_t vma_start, uint64_t addr, const void *page)
{
	struct dirty *d = s->dirty;
	if (!d || d->mode != DIRTY_HASHED || !d->nr_hashes)
		return 0;
	size_t lo = 0, hi = d->nr_hashes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->hashes[mid].vaddr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->nr_hashes || d->hashes[lo].vaddr != addr || d->hashes[lo].hash != XXH3_64bits(page, PAGE))
		return 0;
	return taken_from_parent(d, vma_start, addr);
}

int dirty_write_sections(struct image_writer *w, struct snapshot *s, int incremental, struct cryo_error *e)
{
	struct dirty *d = s->dirty;
	static struct dirty none = { .tracker_fd = -1 };
	if (!d)
		d = &none;
	if (incremental) {
		struct cryo_parent_pages h = { (uint32_t)(sizeof(h) + d->nr_from * sizeof(*d->from_parent)),
					       d->parent_pid ? d->parent_pid : s->proc.pid, d->nr_from };
		if (iw_begin(w, CRYO_SEC_PARENT_PAGES, 8, e) || iw_write(w, &h, sizeof(h), e) ||
		    iw_write(w, d->from_parent, d->nr_from * sizeof(*d->from_parent), e) || iw_end(w, e))
			return -1;
	}
	if (d->tracker_fd < 0)
		return 0;
	struct cryo_tracker t = { (uint32_t)(sizeof(t) + d->nr_registered * sizeof(*d->registered)), s->proc.pid,
				  d->tracker_fd, 0, d->tracker_ino, d->nr_registered };
	return iw_begin(w, CRYO_SEC_TRACKER, 8, e) || iw_write(w, &t, sizeof(t), e) ||
	       iw_write(w, d->registered, d->nr_registered * sizeof(*d->registered), e) || iw_end(w, e) ? -1 : 0;
}

int dirty_mode_of(const struct snapshot *s)
{
	return s->dirty ? s->dirty->mode : DIRTY_FULL;
}

uint64_t dirty_parent_pages(const struct snapshot *s)
{
	return s->dirty ? s->dirty->parent_pages : 0;
}

/* ---- the probe ---- */

int dirty_tracking_available(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	known = 0;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return 0;
	struct uffdio_api api = { .api = UFFD_API, .features = TRACKER_FEATURES };
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (ioctl(fd, UFFDIO_API, &api) == 0 && pm >= 0) {
		/* PAGEMAP_SCAN on nothing: EINVAL/ENOTTY where the kernel has none */
		struct pm_scan_arg a = { .size = sizeof(a), .start = 0, .end = 0, .return_mask = PAGE_IS_WRITTEN };
		known = ioctl(pm, PAGEMAP_SCAN, &a) >= 0;
	}
	if (pm >= 0)
		close(pm);
	close(fd);
	return known;
}
