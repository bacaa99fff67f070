/* Restore side of memory.h. */
#include "memory.h"
#include "error.h"
#include "pagestream.h"
#include "pipes.h"
#include "sysv.h"
#include "cow.h"
#include "lazy.h"
#include "uffdfill.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>

#define PAGE        CRYO_PAGE_SIZE
#define TASK_TOP    0x7ffffffff000UL     /* TASK_SIZE with 4-level paging */
#define CHUNK_BYTES (8UL << 20)
#define SCRATCH_LEN (64 * 1024)
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

int memory_poke(pid_t pid, uint64_t addr, const void *data, size_t len, struct cryo_error *e)
{
	struct iovec local = { (void *)data, len }, remote = { (void *)addr, len };
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return cryo_fail_errno(e, pid, "memory", "process_vm_writev", "cannot write %zu bytes at %#lx in process %d",
				       len, (unsigned long)addr, pid);
	return 0;
}

int memory_peek(pid_t pid, uint64_t addr, void *data, size_t len, struct cryo_error *e)
{
	struct iovec local = { data, len }, remote = { (void *)addr, len };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return cryo_fail_errno(e, pid, "memory", "process_vm_readv", "cannot read %zu bytes at %#lx in process %d",
				       len, (unsigned long)addr, pid);
	return 0;
}

/* Run a syscall in the target; a negative result becomes an error. */
static int remote(struct injector *in, const char *what, long nr, long a1, long a2, long a3,
		  long a4, long a5, long a6, long *ret, struct cryo_error *e)
{
	return injector_call(in, "memory", what, "restore the address space of process", nr, a1, a2, a3, a4, a5, a6,
			     ret, e);
}

/* ---- the vdso and vvar block: moved, never copied ---- */

struct special { uint64_t start, end; char name[64]; };

static int child_specials(pid_t pid, struct special *sp, int max, struct cryo_error *e)
{
	char path[64], line[512];
	int n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return cryo_fail_errno(e, pid, "memory", "open", "cannot open %s", path);
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned long s, en;
		char name[64] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &s, &en, name) >= 2 &&
		    (!strcmp(name, "[vdso]") || !strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]"))) {
			sp[n].start = s;
			sp[n].end = en;
			snprintf(sp[n].name, sizeof(sp[n].name), "%s", name);
			n++;
		}
	}
	fclose(f);
	return n;
}

static uint64_t find_gap(const struct snapshot *s, uint64_t len);

/* The image has no vdso (its process unmapped it): this process's vdso
 * block, which the injections still need, goes out of the image's way; it
 * is unmapped last (memory_finish).  Where it went: */
static uint64_t parked_lo, parked_hi;

static int park_specials(struct injector *in, const struct snapshot *s, const struct special *cur, int nc,
			 struct cryo_error *e)
{
	uint64_t lo = cur[0].start, len = cur[nc - 1].end - lo, to = find_gap(s, len + (1UL << 20));
	if (!to)
		return cryo_fail(e, in->pid, "vdso", "", ENOMEM, "no room in the image's address space for the vdso");
	to += 1UL << 19;        /* clear of the scratch page, which goes in the same gap */
	to &= ~(uint64_t)(PAGE - 1);
	for (int i = 0; i < nc && to != lo; i++) {
		uint64_t size = cur[i].end - cur[i].start, at = to + (cur[i].start - lo);
		if (remote(in, "mremap", SYS_mremap, (long)cur[i].start, (long)size, (long)size, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (long)at, 0, NULL, e))
			return -1;
		if (!strcmp(cur[i].name, "[vdso]"))
			in->syscall_ip += at - cur[i].start;
	}
	parked_lo = to;
	parked_hi = to + len;
	return 0;
}

static int move_specials(struct injector *in, const struct snapshot *s, struct cryo_error *e)
{
	parked_lo = parked_hi = 0;
	struct special cur[8], want[8];
	int nc = child_specials(in->pid, cur, 8, e), nw = 0;
	if (nc < 0)
		return -1;
	for (int i = 0; i < s->nr_vmas && nw < 8; i++) {
		const struct vma_rec *v = &s->vmas[i];
		if (v->r.kind == CRYO_VMA_VDSO || v->r.kind == CRYO_VMA_VVAR) {
			want[nw].start = v->r.start;
			want[nw].end = v->r.end;
			snprintf(want[nw].name, sizeof(want[nw].name), "%s", v->path);
			nw++;
		}
	}
	if (nw == 0 && nc > 0)
		return park_specials(in, s, cur, nc, e);
	if (nw != nc)
		return cryo_fail(e, in->pid, "vdso", "", ENOEXEC,
				 "the image has %d vdso/vvar mappings, this kernel %d: restart on a node with the same kernel", nw, nc);
	for (int i = 0; i < nc; i++)
		if (strcmp(cur[i].name, want[i].name) || cur[i].end - cur[i].start != want[i].end - want[i].start ||
		    cur[i].start - cur[0].start != want[i].start - want[0].start)
			return cryo_fail(e, in->pid, "vdso", "", ENOEXEC,
					 "the vdso/vvar layout of this kernel differs from the image's (%s): restart on a node with the same kernel",
					 want[i].name);
	if (!nc || cur[0].start == want[0].start)
		return 0;

	uint64_t cur_lo = cur[0].start, cur_hi = cur[nc - 1].end;
	uint64_t want_lo = want[0].start, want_hi = want[nw - 1].end;
	uint64_t len = cur_hi - cur_lo;
	int overlap = want_lo < cur_hi && cur_lo < want_hi;
	/* overlapping moves go through a spot clear of both */
	uint64_t via = want_lo > 2 * len + (1UL << 32) ? want_lo - len - (1UL << 30) : want_hi + (1UL << 30);
	uint64_t steps[2] = { overlap ? via : want_lo, want_lo };
	int nsteps = overlap ? 2 : 1;

	for (int st = 0; st < nsteps; st++) {
		uint64_t from_lo = st == 0 ? cur_lo : steps[0];
		for (int i = 0; i < nc; i++) {
			uint64_t from = from_lo + (cur[i].start - cur_lo);
			uint64_t to = steps[st] + (cur[i].start - cur_lo);
			uint64_t size = cur[i].end - cur[i].start;
			if (remote(in, "mremap", SYS_mremap, (long)from, (long)size, (long)size,
				   MREMAP_MAYMOVE | MREMAP_FIXED, (long)to, 0, NULL, e))
				return -1;
			if (!strcmp(cur[i].name, "[vdso]"))
				in->syscall_ip += to - from;
		}
	}
	return 0;
}

/* ---- everything else ---- */

static int unmap_gap(struct injector *in, uint64_t from, uint64_t to, struct cryo_error *e)
{
	return from < to ? remote(in, "munmap", SYS_munmap, (long)from, (long)(to - from), 0, 0, 0, 0, NULL, e) : 0;
}

/* Everything goes but the vdso block (moved into place, or parked out of the
 * way) and, in a child, the mappings it keeps from its parent (cow.h). */
static int unmap_all_but_kept(struct injector *in, const struct snapshot *s, struct cryo_error *e)
{
	uint64_t lo = 0, hi = 0, at = 0;
	for (int i = 0; i < s->nr_vmas; i++)
		if (s->vmas[i].r.kind == CRYO_VMA_VDSO || s->vmas[i].r.kind == CRYO_VMA_VVAR) {
			if (!lo)
				lo = s->vmas[i].r.start;
			hi = s->vmas[i].r.end;
		}
	if (!lo) {
		lo = parked_lo;
		hi = parked_hi;
	}
	if (!lo)
		return cryo_fail(e, in->pid, "vdso", "", ENOEXEC, "the image has no [vdso]");
	int block_kept = 0;
	for (int i = 0; i <= s->nr_vmas; i++) {
		const struct cryo_vma *v = i < s->nr_vmas ? &s->vmas[i].r : NULL;
		if (!block_kept && (!v || v->start >= lo)) {       /* the vdso block comes before v */
			if (unmap_gap(in, at, lo, e))
				return -1;
			at = hi;
			block_kept = 1;
		}
		if (!v || !(v->flags & CRYO_VMA_INHERITED) || v->end <= at)
			continue;
		if (unmap_gap(in, at, v->start, e))
			return -1;
		at = v->end;
	}
	return unmap_gap(in, at, TASK_TOP, e);
}

static uint64_t find_gap(const struct snapshot *s, uint64_t len)
{
	uint64_t prev = 1UL << 32;          /* stay clear of the low, fixed addresses of non-PIE programs */
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct cryo_vma *v = &s->vmas[i].r;
		if (v->end <= prev)
			continue;
		if (v->start >= prev + len + 2 * PAGE)
			return prev + PAGE;
		prev = v->end;
	}
	return prev + len + 2 * PAGE < TASK_TOP ? prev + PAGE : 0;
}

static int map_scratch(struct injector *in, const struct snapshot *s, uint64_t *scratch, struct cryo_error *e)
{
	uint64_t at = find_gap(s, SCRATCH_LEN);
	long r;
	if (!at)
		return cryo_fail(e, in->pid, "memory", "", ENOMEM, "no room in the image's address space for a scratch page");
	if (remote(in, "mmap", SYS_mmap, (long)at, SCRATCH_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0, &r, e))
		return -1;
	*scratch = (uint64_t)r;
	return 0;
}

int memory_unmap_scratch(struct injector *in, uint64_t scratch, struct cryo_error *e)
{
	return remote(in, "munmap", SYS_munmap, (long)scratch, SCRATCH_LEN, 0, 0, 0, 0, NULL, e);
}

static int image_has_vdso(const struct snapshot *s)
{
	for (int i = 0; i < s->nr_vmas; i++)
		if (s->vmas[i].r.kind == CRYO_VMA_VDSO)
			return 1;
	return 0;
}

int memory_finish(struct injector *in, const struct snapshot *s, uint64_t scratch, struct cryo_error *e)
{
	if (memory_unmap_scratch(in, scratch, e))
		return -1;
	if (image_has_vdso(s))
		return 0;
	/* the process had none: the vdso its injections ran through goes last (the
	 * injected munmap stops at its exit, before anything returns into it) */
	struct special cur[8];
	int n = child_specials(in->pid, cur, 8, e);
	if (n < 0)
		return -1;
	for (int i = n - 1; i >= 0; i--)
		if (strcmp(cur[i].name, "[vdso]") && unmap_gap(in, cur[i].start, cur[i].end, e))
			return -1;
	for (int i = 0; i < n; i++)
		if (!strcmp(cur[i].name, "[vdso]") && unmap_gap(in, cur[i].start, cur[i].end, e))
			return -1;
	return 0;
}

/* Open path inside the target; returns the target's fd. */
static int remote_open(struct injector *in, uint64_t scratch, const char *path, int flags, long *fd,
		       struct cryo_error *e)
{
	size_t len = strlen(path) + 1;
	if (len > SCRATCH_LEN / 2)
		return cryo_fail(e, in->pid, "memory", "", ENAMETOOLONG, "path too long: %s", path);
	if (memory_poke(in->pid, scratch, path, len, e))
		return -1;
	long r;
	if (injector_syscall(in, SYS_openat, AT_FDCWD, (long)scratch, flags | O_CLOEXEC, 0, 0, 0, &r, e))
		return -1;
	if (r < 0)
		return cryo_fail(e, in->pid, "memory", "open", (int)-r, "cannot open mapped file %s", path);
	*fd = r;
	return 0;
}

/* The runs are in address order: only those from the mapping's start on are looked at
 * (asked of every mapping, more than once, by the choices below). */
static uint64_t saved_bytes(const struct snapshot *s, const struct vma_rec *v)
{
	uint64_t bytes = 0;
	for (size_t i = memory_run_past(s->runs, s->nr_runs, v->r.start, 0); i < s->nr_runs && s->runs[i].vaddr < v->r.end; i++)
		if (s->runs[i].vaddr >= v->r.start)
			bytes += s->runs[i].nr_pages * PAGE;
	return bytes;
}

static int has_pages(const struct snapshot *s, const struct vma_rec *v)
{
	return saved_bytes(s, v) != 0;
}

enum thp_policy { THP_NEVER, THP_MADVISE, THP_ALWAYS };

/* The machine's transparent huge page policy (which pages a fault gets) */
static enum thp_policy thp_policy(void)
{
	static int mode = -1;
	if (mode < 0) {
		char buf[128] = "";
		FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
		}
		mode = strstr(buf, "[always]") ? THP_ALWAYS : strstr(buf, "[madvise]") ? THP_MADVISE : THP_NEVER;
	}
	return (enum thp_policy)mode;
}

/*
 * Whether mapping v is written by UFFDIO_COPY (uffdfill.h) when the process
 * has a userfaultfd for it (uffd_ok): a private anonymous mapping of the
 * restore's own with pages saved, whose pages were 4 KiB ones when it was
 * saved as far as the policy tells.  UFFDIO_COPY gives 4 KiB pages; where a
 * fault would have given huge ones (the mapping asked for them, or the policy
 * is "always"), the usual write keeps them huge.
 */
static int copy_fills(const struct snapshot *s, const struct vma_rec *v, int uffd_ok)
{
	const struct cryo_vma *m = &v->r;
	if (!uffd_ok || m->kind != CRYO_VMA_ANON_PRIVATE ||
	    (m->flags & (CRYO_VMA_HUGEPAGE | CRYO_VMA_GROWSDOWN | CRYO_VMA_INHERITED | CRYO_VMA_DROPPABLE)))
		return 0;
	if (thp_policy() == THP_ALWAYS && !(m->flags & CRYO_VMA_NOHUGEPAGE))
		return 0;
	return has_pages(s, v);
}

/*
 * Faulting in a fresh 4 KiB page costs far more than copying it (on a VM
 * that hands freed memory back to its host, about 0.8 s per GiB); a 2 MiB
 * page costs a fraction of that.  A mapping the image fills almost entirely
 * is therefore filled through huge pages, then marked "no huge pages",
 * which under the "madvise" policy behaves as the default the process had.
 */
static int fill_with_huge_pages(const struct snapshot *s, const struct vma_rec *v, int uffd_ok)
{
	uint64_t size = v->r.end - v->r.start;
	return v->r.kind == CRYO_VMA_ANON_PRIVATE && size >= (4UL << 20) &&
	       !(v->r.flags & (CRYO_VMA_HUGEPAGE | CRYO_VMA_NOHUGEPAGE | CRYO_VMA_GROWSDOWN | CRYO_VMA_INHERITED)) &&
	       thp_policy() == THP_MADVISE && !copy_fills(s, v, uffd_ok) && saved_bytes(s, v) >= size / 10 * 9;
}

static int map_one(struct injector *in, const struct tree *t, const struct snapshot *s, const struct vma_rec *v,
		   uint64_t scratch, relocate_fn relocate, const struct lazy *lazy, int uffd_ok, struct cryo_error *e)
{
	const struct cryo_vma *m = &v->r;
	long len = (long)(m->end - m->start), fd = -1, r;
	/* writable while the pages go in; the real protection comes after */
	int prot = m->kind == CRYO_VMA_FILE_SHARED ? (int)m->prot : PROT_READ | PROT_WRITE;
	int flags = MAP_FIXED;

	if (m->flags & CRYO_VMA_INHERITED)
		return cow_keep_inherited(in, s, v, e);
	switch (m->kind) {
	case CRYO_VMA_ANON_PRIVATE:
		flags |= (m->flags & CRYO_VMA_DROPPABLE ? MAP_DROPPABLE : MAP_PRIVATE) | MAP_ANONYMOUS |
			 (m->flags & CRYO_VMA_GROWSDOWN ? MAP_GROWSDOWN : 0);
		break;
	case CRYO_VMA_ANON_SHARED: {
		/* the tree's object, from the pool every process inherits (pipes.h) */
		int shared = shmem_pool_fd(t, pipes_pool_base(t), m->file.dev, m->file.ino);
		if (shared < 0)
			return cryo_fail(e, in->pid, "shared memory", "", ENOENT, "no shared memory object for %#lx", (unsigned long)m->start);
		return remote(in, "mmap", SYS_mmap, (long)m->start, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			      shared, (long)m->pgoff, &r, e);
	}
	case CRYO_VMA_SYSV_SHM:
		return sysv_attach(in, v, e);
	case CRYO_VMA_FILE_PRIVATE:
	case CRYO_VMA_FILE_SHARED: {
		char buf[PATH_MAX];
		flags |= m->kind == CRYO_VMA_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
		if (remote_open(in, scratch, relocate(v->path, buf, sizeof(buf)), (int)m->open_flags, &fd, e))
			return -1;
		break;
	}
	default:
		return 0;
	}
	if (m->kind == CRYO_VMA_FILE_PRIVATE && !has_pages(s, v))
		prot = (int)m->prot;
	int rc = remote(in, "mmap", SYS_mmap, (long)m->start, len, prot, flags, fd,
			fd >= 0 ? (long)m->pgoff : 0, &r, e);
	if (fd >= 0)
		injector_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0, &r, e);
	/* lazy pages come one UFFDIO_COPY at a time, in 4 KiB pages; a mapping that asked for
	 * huge pages has its advice before its pages, so that their faults give it huge ones */
	if (!rc && (fill_with_huge_pages(s, v, uffd_ok) || (m->kind == CRYO_VMA_ANON_PRIVATE && (m->flags & CRYO_VMA_HUGEPAGE))) &&
	    !lazy_vma(lazy, v))
		rc = remote(in, "madvise", SYS_madvise, (long)m->start, len, MADV_HUGEPAGE, 0, 0, 0, NULL, e);
	return rc;
}

static int advise(struct injector *in, const struct snapshot *s, const struct vma_rec *v, const struct lazy *lazy,
		  int uffd_ok, struct cryo_error *e)
{
	const struct cryo_vma *m = &v->r;
	if (fill_with_huge_pages(s, v, uffd_ok) && !lazy_vma(lazy, v) &&
	    remote(in, "madvise", SYS_madvise, (long)m->start, (long)(m->end - m->start), MADV_NOHUGEPAGE,
		   0, 0, 0, NULL, e))
		return -1;
	static const struct { uint32_t flag; int advice; } table[] = {
		{ CRYO_VMA_HUGEPAGE, MADV_HUGEPAGE }, { CRYO_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE },
		{ CRYO_VMA_DONTFORK, MADV_DONTFORK }, { CRYO_VMA_DONTDUMP, MADV_DONTDUMP },
		{ CRYO_VMA_WIPEONFORK, MADV_WIPEONFORK },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((m->flags & table[i].flag) &&
		    remote(in, "madvise", SYS_madvise, (long)m->start, (long)(m->end - m->start), table[i].advice,
			   0, 0, 0, NULL, e))
			return -1;
	return 0;
}

size_t memory_run_past(const struct cryo_page_run *runs, size_t nr, uint64_t at, int by_data)
{
	size_t lo = 0, hi = nr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((by_data ? runs[mid].data_offset : runs[mid].vaddr) + runs[mid].nr_pages * PAGE <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first page run whose data reaches past offset at. */
static size_t run_at(const struct snapshot *s, uint64_t at)
{
	return memory_run_past(s->runs, s->nr_runs, at, 1);
}

/* One chunk of page data into the runs it covers. */
static int poke_chunk(const struct uffd_fill *uf, const struct snapshot *s, const struct ps_chunk *c, struct cryo_error *e)
{
	uint64_t at = c->at, end = c->at + c->len;
	for (size_t r = run_at(s, at); at < end && r < s->nr_runs; r++) {
		const struct cryo_page_run *run = &s->runs[r];
		uint64_t run_end = run->data_offset + run->nr_pages * PAGE;
		uint64_t n = (run_end < end ? run_end : end) - at;
		if (uffd_fill_write(uf, run->vaddr + (at - run->data_offset), c->data + (at - c->at), (size_t)n, e))
			return -1;
		at += n;
	}
	return 0;
}

struct filler {
	const struct uffd_fill *uf;
	const struct snapshot *s;
	struct pagestream *ps;
	int failed;
	struct cryo_error err;
	double wait_ms, write_ms;   /* CRYO_TIMING: waiting for page data, writing it into the process */
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static void *fill_loop(void *arg)
{
	struct filler *f = arg;
	for (;;) {
		struct ps_chunk c;
		struct timespec t0, t1, t2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ps_read_take(f->ps, &c, &f->err)) {
			f->failed = 1;
			break;
		}
		if (!c.len)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		int rc = restore_check_interrupted(&f->err) || poke_chunk(f->uf, f->s, &c, &f->err);
		if (rc)
			ps_read_explain_copy_failure(f->ps, &f->err);
		ps_read_release(f->ps, &c);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		f->wait_ms += ms_between(&t0, &t1);
		f->write_ms += ms_between(&t1, &t2);
		if (rc) {
			f->failed = 1;
			break;
		}
	}
	return NULL;
}

/* Two threads write into the target: the cost is the target's page
 * allocations, and two CPUs take them twice as fast as one. */
static int fill_pages(const struct uffd_fill *uf, const struct snapshot *s, struct image_reader *r, struct cryo_error *e)
{
	struct pagestream *ps;
	if (ps_read_begin(&ps, r, s->pages, e))
		return -1;
	struct filler a = { .uf = uf, .s = s, .ps = ps }, b = a;
	pthread_t helper;
	int two = pthread_create(&helper, NULL, fill_loop, &b) == 0;
	fill_loop(&a);
	if (two)
		pthread_join(helper, NULL);
	else
		b.failed = 0;
	if (getenv("CRYO_TIMING"))
		fprintf(stderr, "cryo: (pages %s: waiting for data %.0f + %.0f ms, writing %.0f + %.0f ms, two writers,"
			" %d mapping(s) by UFFDIO_COPY; hashed %s)\n", ps_read_is_mapped(ps) ? "mapped from the page cache" : "read",
			a.wait_ms, b.wait_ms, a.write_ms, b.write_ms, uf->nr, ps_read_hash_path(ps));
	if (a.failed || b.failed) {
		*e = a.failed ? a.err : b.err;
		struct cryo_error later;
		ps_read_end(ps, &later);
		return -1;
	}
	return ps_read_end(ps, e);
}

static int already_runs_exe(pid_t pid, const char *exe)
{
	char link[64];
	struct stat now, want;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	return stat(link, &now) == 0 && stat(exe, &want) == 0 && now.st_dev == want.st_dev && now.st_ino == want.st_ino;
}

/* struct prctl_mm_map, followed in the scratch page by the auxv words */
static int set_mm_fields(struct injector *in, const struct snapshot *s, uint64_t scratch, relocate_fn relocate,
			 struct cryo_error *e)
{
	const struct cryo_process *p = &s->proc;
	struct prctl_mm_map map = {
		.start_code = p->start_code, .end_code = p->end_code,
		.start_data = p->start_data, .end_data = p->end_data,
		.start_brk = p->start_brk, .brk = p->brk, .start_stack = p->start_stack,
		.arg_start = p->arg_start, .arg_end = p->arg_end,
		.env_start = p->env_start, .env_end = p->env_end,
		.auxv = (__u64 *)(scratch + 1024),
		.auxv_size = p->auxv_words * 8,
		.exe_fd = (uint32_t)-1,
	};
	long exe_fd = -1, r;
	char buf[PATH_MAX];
	/* changing /proc/PID/exe needs CAP_CHECKPOINT_RESTORE; without it the link stays as it is.
	 * A child forked from its restored parent already has the right one, and the kernel
	 * refuses to replace an executable that is mapped, even by itself. */
	if (!already_runs_exe(in->pid, relocate(s->exe, buf, sizeof(buf))) &&
	    remote_open(in, scratch + 2048, relocate(s->exe, buf, sizeof(buf)), O_RDONLY, &exe_fd, e) == 0)
		map.exe_fd = (uint32_t)exe_fd;
	if (memory_poke(in->pid, scratch, &map, sizeof(map), e) ||
	    memory_poke(in->pid, scratch + 1024, p->auxv, p->auxv_words * 8, e))
		return -1;
	if (injector_syscall(in, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)scratch, sizeof(map), 0, 0, &r, e))
		return -1;
	if (r == -EPERM && exe_fd >= 0) {
		map.exe_fd = (uint32_t)-1;
		if (memory_poke(in->pid, scratch, &map, sizeof(map), e) ||
		    injector_syscall(in, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)scratch, sizeof(map), 0, 0, &r, e))
			return -1;
	}
	if (exe_fd >= 0)
		injector_syscall(in, SYS_close, exe_fd, 0, 0, 0, 0, 0, &exe_fd, e);
	if (r < 0)
		return cryo_fail(e, in->pid, "memory", "prctl(PR_SET_MM_MAP)", (int)-r,
				 "cannot set the memory layout fields (brk, stack, argv, environ, auxv) of process %d", in->pid);
	return 0;
}

static int any_copy_fills(const struct snapshot *s)
{
	for (int i = 0; i < s->nr_vmas; i++)
		if (copy_fills(s, &s->vmas[i], 1))
			return 1;
	return 0;
}

/* Every mapping in place and every page of the image in it; uf (open or not)
 * is closed on success, the caller aborts it otherwise. */
static int map_and_fill(struct injector *in, const struct tree *t, const struct snapshot *s, struct image_reader *r,
			relocate_fn relocate, struct lazy *lazy, struct uffd_fill *uf, uint64_t scratch, struct cryo_error *e)
{
	int uffd_ok = uf->fd >= 0;
	for (int i = 0; i < s->nr_vmas; i++)
		if (map_one(in, t, s, &s->vmas[i], scratch, relocate, lazy, uffd_ok, e))
			return -1;
	for (int i = 0; i < s->nr_vmas; i++)
		if (copy_fills(s, &s->vmas[i], uffd_ok) &&
		    uffd_fill_register(uf, s->vmas[i].r.start, s->vmas[i].r.end, e))
			return -1;
	if (lazy)
		return lazy_register_and_fill(lazy, in, e);
	return fill_pages(uf, s, r, e) || uffd_fill_close(uf, e);
}

int memory_restore(struct injector *in, const struct tree *t, const struct snapshot *s, struct image_reader *r,
		   relocate_fn relocate, struct lazy *lazy, uint64_t *scratch, struct cryo_error *e)
{
	int lazy_vmas = 0;
	if (lazy && lazy_plan(lazy, r, s, (int)(s - t->procs), &lazy_vmas, e))
		return -1;
	if (!lazy_vmas)
		lazy = NULL;
	if (move_specials(in, s, e) || unmap_all_but_kept(in, s, e) || map_scratch(in, s, scratch, e))
		return -1;
	struct uffd_fill uf = { .fd = -1, .pid = in->pid };
	/* a lazy restore has a userfaultfd of its own (lazy.h); none is made for a process with nothing to copy */
	if (!lazy && any_copy_fills(s) && uffd_fill_open(&uf, in, e) < 0)
		return -1;
	int uffd_ok = uf.fd >= 0;
	if (map_and_fill(in, t, s, r, relocate, lazy, &uf, *scratch, e)) {
		uffd_fill_abort(&uf);
		return -1;
	}
	if (getenv("CRYO_TIMING"))
		fprintf(stderr, "cryo: (pages filled)\n");
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct cryo_vma *m = &s->vmas[i].r;
		if (m->kind == CRYO_VMA_VDSO || m->kind == CRYO_VMA_VVAR)
			continue;
		if (remote(in, "mprotect", SYS_mprotect, (long)m->start, (long)(m->end - m->start), (long)m->prot,
			   0, 0, 0, NULL, e) || advise(in, s, &s->vmas[i], lazy, uffd_ok, e))
			return -1;
	}
	if (cow_restore_guards(in, s, e))
		return -1;
	return set_mm_fields(in, s, *scratch, relocate, e);
}
