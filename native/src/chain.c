/* Chains of context files (chain.h). */
#include "chain.h"
#include "error.h"
#include "pagestream.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE      CRYO_PAGE_SIZE
#define RES       "context file"
#define COPY_PAGES 1024         /* pages read at a time: 4 MiB */

struct level_proc {
	int32_t pid;
	int loaded;
	struct cryo_page_run *runs;
	size_t nr_runs;
	const struct cryo_section_entry *pages;
	struct cryo_parent_run *from_parent;
	size_t nr_from_parent;
	int32_t parent_pid;
	/* its page data, read forward (runs are taken in address order, their data in file
	 * order): through pagestream.c, so compressed blocks come out as page data */
	struct pagestream *ps;
	struct ps_chunk chunk;
	int have_chunk;
};

struct level {
	struct image_reader r;
	char path[PATH_MAX];
	struct level_proc *procs;
	int nr_procs;
};

struct chain {
	struct level *levels;
	int nr;
	char *buf;                  /* COPY_PAGES pages */
};

static int corrupt(const struct level *l, struct cryo_error *e, const char *what)
{
	return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: %s", l->path, what);
}

void chain_content_hash(const struct image_reader *r, uint64_t *low, uint64_t *high)
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h = { 0, 0 };
	if (st) {
		XXH3_128bits_reset(st);
		XXH3_128bits_update(st, &r->header, sizeof(r->header));
		XXH3_128bits_update(st, r->table, (size_t)r->nr_sections * sizeof(*r->table));
		h = XXH3_128bits_digest(st);
		XXH3_freeState(st);
	}
	*low = h.low64;
	*high = h.high64;
}

int chain_is_incremental(const struct image_reader *r)
{
	return (r->header.flags & CRYO_FILE_INCREMENTAL) != 0;
}

int chain_length(const struct chain *c)
{
	return c->nr;
}

struct image_reader *chain_head(struct chain *c)
{
	return &c->levels[0].r;
}

/* ---- the PARENT record ---- */

struct parent_record {
	struct cryo_parent p;
	char path[PATH_MAX];
	char base[NAME_MAX + 1];
};

/* A string of the record at *at: u32 length, bytes, padding to 8. */
static int take_string(const struct level *l, const char *buf, size_t len, size_t *at, char *out, size_t size,
		       struct cryo_error *e)
{
	uint32_t n;
	if (*at + 4 > len)
		return corrupt(l, e, "PARENT record truncated");
	memcpy(&n, buf + *at, 4);
	if (n >= size || n > len - *at - 4)
		return corrupt(l, e, "PARENT record's name too long");
	memcpy(out, buf + *at + 4, n);
	out[n] = 0;
	if (memchr(out, 0, n))
		return corrupt(l, e, "PARENT record's name holds a NUL");
	*at += (4 + n + 7) & ~(size_t)7;
	return 0;
}

static int read_parent_record(struct level *l, struct parent_record *pr, struct cryo_error *e)
{
	const struct cryo_section_entry *s = ir_find(&l->r, CRYO_SEC_PARENT, 0);
	void *buf;
	if (!s || ir_find(&l->r, CRYO_SEC_PARENT, 1))
		return corrupt(l, e, "an incremental file needs exactly one PARENT section");
	if (ir_load(&l->r, s, &buf, e))
		return -1;
	size_t at = sizeof(pr->p);
	int rc = 0;
	if (s->length < sizeof(pr->p) || (memcpy(&pr->p, buf, sizeof(pr->p)), pr->p.record_size != s->length))
		rc = corrupt(l, e, "bad PARENT record");
	else if (pr->p.depth < 1 || pr->p.depth >= CRYO_CHAIN_MAX_DEPTH)
		rc = corrupt(l, e, "PARENT depth out of range");
	else
		rc = take_string(l, buf, s->length, &at, pr->path, sizeof(pr->path), e) ||
		     take_string(l, buf, s->length, &at, pr->base, sizeof(pr->base), e) ? -1 : 0;
	if (!rc && (!pr->base[0] || strchr(pr->base, '/') || !strcmp(pr->base, ".") || !strcmp(pr->base, "..")))
		rc = corrupt(l, e, "bad parent name");
	free(buf);
	return rc;
}

int chain_write_parent(struct image_writer *w, struct image_reader *parent, const char *path,
		       struct cryo_error *e)
{
	char abs[PATH_MAX], copy[PATH_MAX];
	if (!realpath(path, abs))
		return cryo_fail_errno(e, w->pid, RES, "realpath", "cannot find parent %s", path);
	snprintf(copy, sizeof(copy), "%s", abs);
	const char *base = basename(copy);
	uint32_t depth = 1;
	if (chain_is_incremental(parent)) {
		const struct cryo_section_entry *s = ir_find(parent, CRYO_SEC_PARENT, 0);
		struct cryo_parent pp;
		if (!s || s->length < sizeof(pp) || pread(parent->fd, &pp, sizeof(pp), (off_t)s->offset) != sizeof(pp))
			return cryo_fail(e, w->pid, RES, "", 0, "parent %s is corrupt: no PARENT record", path);
		depth = pp.depth + 1;
		if (depth >= CRYO_CHAIN_MAX_DEPTH)
			return cryo_fail(e, w->pid, RES, "", E2BIG,
					 "parent %s ends a chain of %u files, the most Cryo follows: take a full checkpoint or "
					 "merge the chain (cryo-engine compact)", path, pp.depth + 1);
	}
	struct cryo_parent p = { 0 };
	uint32_t plen = (uint32_t)strlen(abs), blen = (uint32_t)strlen(base);
	static const char zeros[8];
	p.record_size = (uint32_t)(sizeof(p) + 4 + ((plen + 7) & ~7u) + 4 + ((blen + 7) & ~7u));
	p.depth = depth;
	p.file_size = parent->size;
	chain_content_hash(parent, &p.hash_low, &p.hash_high);
	/* strings are padded so that u32 length + bytes end on 8 */
	uint32_t ppad = (8 - (4 + plen) % 8) % 8, bpad = (8 - (4 + blen) % 8) % 8;
	p.record_size = (uint32_t)(sizeof(p) + 4 + plen + ppad + 4 + blen + bpad);
	return iw_begin(w, CRYO_SEC_PARENT, 8, e) || iw_write(w, &p, sizeof(p), e) ||
	       iw_write(w, &plen, 4, e) || iw_write(w, abs, plen, e) || iw_write(w, zeros, ppad, e) ||
	       iw_write(w, &blen, 4, e) || iw_write(w, base, blen, e) || iw_write(w, zeros, bpad, e) ||
	       iw_end(w, e) ? -1 : 0;
}

/* ---- opening a chain ---- */

static int index_processes(struct level *l, struct cryo_error *e)
{
	for (int k = 0; ir_find(&l->r, CRYO_SEC_PROCESS, k); k++)
		l->nr_procs = k + 1;
	if (!l->nr_procs)
		return corrupt(l, e, "no process");
	l->procs = calloc((size_t)l->nr_procs, sizeof(*l->procs));
	if (!l->procs)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	for (int k = 0; k < l->nr_procs; k++) {
		const struct cryo_section_entry *s = ir_find(&l->r, CRYO_SEC_PROCESS, k);
		int32_t pid;
		if (s->length < 8 || pread(l->r.fd, &pid, 4, (off_t)s->offset + 4) != 4)
			return corrupt(l, e, "PROCESS section too short");
		l->procs[k].pid = pid;
	}
	return 0;
}

static int open_level(struct level *l, const char *path, int with_pages, struct cryo_error *e)
{
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->r.fd = -1;
	if (ir_open(&l->r, l->path, e))
		return -1;
	return ir_verify_sections(&l->r, with_pages, e) || index_processes(l, e) ? -1 : 0;
}

/* Where the parent is: the path recorded, else its base name beside the child
 * (a catalog moved, a chain copied to another file system). */
static void parent_candidates(const char *child, const struct parent_record *pr, char out[2][PATH_MAX])
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", child);
	snprintf(out[0], PATH_MAX, "%s", pr->path);
	snprintf(out[1], PATH_MAX, "%s/%s", dirname(dir), pr->base);
}

static int matches(const struct level *l, const struct parent_record *pr)
{
	uint64_t low, high;
	chain_content_hash(&l->r, &low, &high);
	return l->r.size == pr->p.file_size && low == pr->p.hash_low && high == pr->p.hash_high;
}

/* The parent of level c->nr - 1, as level c->nr. */
static int open_parent(struct chain *c, const struct parent_record *pr, int with_pages, struct cryo_error *e)
{
	char where[2][PATH_MAX];
	struct level *child = &c->levels[c->nr - 1], *l = &c->levels[c->nr];
	parent_candidates(child->path, pr, where);
	int seen = 0;
	for (int i = 0; i < 2; i++) {
		struct cryo_error why;
		struct stat st;
		if (stat(where[i], &st) < 0)
			continue;
		seen = 1;
		memset(l, 0, sizeof(*l));
		if (open_level(l, where[i], with_pages, &why)) {
			cryo_fail(e, 0, RES, "", why.err, "parent %s of %s cannot be used: %s", where[i], child->path, why.msg);
			return -1;
		}
		if (matches(l, pr)) {
			c->nr++;
			return 0;
		}
		ir_close(&l->r);
		free(l->procs);
		l->procs = NULL;
	}
	if (!seen)
		return cryo_fail(e, 0, RES, "", ENOENT, "parent %s of incremental context file %s is missing", pr->path,
				 child->path);
	return cryo_fail(e, 0, RES, "", ESTALE,
			 "parent %s of incremental context file %s is not the file it was taken from (content hash differs)",
			 pr->path, child->path);
}

int chain_open(struct chain **out, const char *path, int with_pages, struct cryo_error *e)
{
	struct chain *c = calloc(1, sizeof(*c));
	if (!c || !(c->levels = calloc(CRYO_CHAIN_MAX_DEPTH, sizeof(*c->levels))) || !(c->buf = malloc(COPY_PAGES * PAGE))) {
		chain_close(c);
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	}
	if (open_level(&c->levels[0], path, with_pages, e)) {
		chain_close(c);
		return -1;
	}
	c->nr = 1;
	uint32_t depth_expected = 0;
	while (chain_is_incremental(&c->levels[c->nr - 1].r)) {
		struct parent_record pr;
		if (read_parent_record(&c->levels[c->nr - 1], &pr, e)) {
			chain_close(c);
			return -1;
		}
		/* each step one shorter: no cycle, and a bounded walk */
		if ((depth_expected && pr.p.depth != depth_expected) || c->nr >= CRYO_CHAIN_MAX_DEPTH) {
			corrupt(&c->levels[c->nr - 1], e, "parent depth does not match its chain");
			chain_close(c);
			return -1;
		}
		depth_expected = pr.p.depth - 1;
		if (open_parent(c, &pr, with_pages, e)) {
			chain_close(c);
			return -1;
		}
	}
	if (depth_expected) {
		corrupt(&c->levels[c->nr - 2], e, "chain ends before its recorded depth");
		chain_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Every stream read to its end: its checksum (and each block's) checked. */
static int finish_streams(struct chain *c, struct cryo_error *e)
{
	int rc = 0;
	for (int i = 0; c->levels && i < c->nr; i++)
		for (int k = 0; k < c->levels[i].nr_procs; k++) {
			struct level_proc *p = &c->levels[i].procs[k];
			if (!p->ps)
				continue;
			struct cryo_error why;
			int failed = 0;
			if (p->have_chunk)
				ps_read_release(p->ps, &p->chunk);
			p->have_chunk = 0;
			while (!failed && !(failed = ps_read_take(p->ps, &p->chunk, &why)) && p->chunk.len)
				ps_read_release(p->ps, &p->chunk);
			if (ps_read_end(p->ps, failed ? &(struct cryo_error){0} : &why) || failed) {
				if (!rc)
					cryo_fail(e, 0, RES, "", why.err, "%s", why.msg);
				rc = -1;
			}
			p->ps = NULL;
		}
	return rc;
}

void chain_close(struct chain *c)
{
	if (!c)
		return;
	struct cryo_error ignored;
	finish_streams(c, &ignored);
	for (int i = 0; c->levels && i < c->nr; i++) {
		ir_close(&c->levels[i].r);
		for (int k = 0; k < c->levels[i].nr_procs; k++) {
			free(c->levels[i].procs[k].runs);
			free(c->levels[i].procs[k].from_parent);
		}
		free(c->levels[i].procs);
	}
	free(c->levels);
	free(c->buf);
	free(c);
}

/* ---- a process's pages at one level ---- */

static int load_runs(struct level *l, int k, struct level_proc *p, struct cryo_error *e)
{
	const struct cryo_section_entry *s = ir_find(&l->r, CRYO_SEC_PAGEMAP, k);
	p->pages = ir_find(&l->r, CRYO_SEC_PAGES, k);
	if (!s || !p->pages)
		return corrupt(l, e, "a process without PAGEMAP or PAGES");
	if (s->length % sizeof(struct cryo_page_run))
		return corrupt(l, e, "PAGEMAP size");
	void *buf;
	if (ir_load(&l->r, s, &buf, e))
		return -1;
	p->runs = buf;
	p->nr_runs = s->length / sizeof(struct cryo_page_run);
	uint64_t end = 0, data_end = 0, data_len;
	if (ps_page_data_length(&l->r, p->pages, &data_len, NULL, NULL, e))   /* compressed: what its index says */
		return -1;
	for (size_t i = 0; i < p->nr_runs; i++) {
		const struct cryo_page_run *r = &p->runs[i];
		if (r->vaddr % PAGE || !r->nr_pages || r->nr_pages > (1ULL << 36) || r->vaddr < end ||
		    r->vaddr + r->nr_pages * PAGE < r->vaddr || r->data_offset % PAGE || r->data_offset < data_end ||
		    r->data_offset > data_len || r->nr_pages * PAGE > data_len - r->data_offset)
			return corrupt(l, e, "page runs out of order or out of bounds");
		end = r->vaddr + r->nr_pages * PAGE;
		data_end = r->data_offset + r->nr_pages * PAGE;
	}
	return 0;
}

static int load_from_parent(struct level *l, int k, struct level_proc *p, struct cryo_error *e)
{
	p->parent_pid = p->pid;
	if (!chain_is_incremental(&l->r))
		return 0;
	const struct cryo_section_entry *s = ir_find(&l->r, CRYO_SEC_PARENT_PAGES, k);
	if (!s)
		return corrupt(l, e, "a process without PARENT_PAGES in an incremental file");
	struct cryo_parent_pages head;
	void *buf;
	if (ir_load(&l->r, s, &buf, e))
		return -1;
	if (s->length < sizeof(head)) {
		free(buf);
		return corrupt(l, e, "PARENT_PAGES size");
	}
	memcpy(&head, buf, sizeof(head));
	if (head.record_size != s->length || head.nr_runs != (s->length - sizeof(head)) / sizeof(struct cryo_parent_run) ||
	    (s->length - sizeof(head)) % sizeof(struct cryo_parent_run)) {
		free(buf);
		return corrupt(l, e, "PARENT_PAGES size");
	}
	p->parent_pid = head.pid;
	p->nr_from_parent = head.nr_runs;
	p->from_parent = malloc(head.nr_runs ? head.nr_runs * sizeof(*p->from_parent) : 1);
	if (!p->from_parent) {
		free(buf);
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	}
	memcpy(p->from_parent, (char *)buf + sizeof(head), head.nr_runs * sizeof(*p->from_parent));
	free(buf);
	uint64_t end = 0;
	for (size_t i = 0; i < p->nr_from_parent; i++) {
		const struct cryo_parent_run *r = &p->from_parent[i];
		if (r->vaddr % PAGE || !r->nr_pages || r->nr_pages > (1ULL << 36) || r->vaddr < end ||
		    r->vaddr + r->nr_pages * PAGE < r->vaddr)
			return corrupt(l, e, "PARENT_PAGES runs out of order");
		end = r->vaddr + r->nr_pages * PAGE;
	}
	return 0;
}

/* The index of process pid at level l (pid 0: the first), or -1. */
static int find_proc(struct level *l, int32_t pid)
{
	for (int k = 0; k < l->nr_procs; k++)
		if (!pid || l->procs[k].pid == pid)
			return k;
	return -1;
}

static struct level_proc *proc_at(struct level *l, int k, struct cryo_error *e)
{
	struct level_proc *p = &l->procs[k];
	if (!p->loaded) {
		if (load_runs(l, k, p, e) || load_from_parent(l, k, p, e))
			return NULL;
		p->loaded = 1;
	}
	return p;
}

/* ---- merging ---- */

/* Pages of the chain's files above level base go to sink; those that level base (and
 * below) holds, to from_base as pages left to that file (base: c->nr, none). */
typedef int (*base_sink)(void *arg, int32_t pid, uint64_t vaddr, uint64_t nr_pages, struct cryo_error *e);
struct emit {
	struct chain *c;
	chain_sink sink;
	void *arg;
	int fresh;
	struct cryo_error *e;
	int base;
	base_sink from_base;
};

/* The chunk of p's page data that holds data_offset (never one before the last). */
static int chunk_at(struct level *l, struct level_proc *p, uint64_t data_offset, struct cryo_error *e)
{
	if (!p->ps && ps_read_begin(&p->ps, &l->r, p->pages, e))
		return -1;
	while (!p->have_chunk || data_offset >= p->chunk.at + p->chunk.len) {
		if (p->have_chunk)
			ps_read_release(p->ps, &p->chunk);
		p->have_chunk = 0;
		if (ps_read_take(p->ps, &p->chunk, e))
			return -1;
		if (!p->chunk.len)
			return corrupt(l, e, "page runs point past the page data");
		p->have_chunk = 1;
	}
	if (data_offset < p->chunk.at)
		return corrupt(l, e, "page data out of order");
	return 0;
}

static int copy_pages(struct emit *m, struct level *l, struct level_proc *p, uint64_t vaddr,
		      uint64_t data_offset, uint64_t nr_pages)
{
	while (nr_pages) {
		if (chunk_at(l, p, data_offset, m->e))
			return -1;
		uint64_t in_chunk = (p->chunk.at + p->chunk.len - data_offset) / PAGE;
		uint64_t n = nr_pages < in_chunk ? nr_pages : in_chunk;
		if (m->sink(m->arg, vaddr, p->chunk.data + (data_offset - p->chunk.at), n, m->fresh, m->e))
			return -1;
		m->fresh = 0;
		vaddr += n * PAGE;
		data_offset += n * PAGE;
		nr_pages -= n;
	}
	return 0;
}

/* The first of n runs by address (struct cryo_page_run or cryo_parent_run,
 * each starting { vaddr, nr_pages }, stride bytes apart) that ends after a. */
static size_t first_ending_after(const void *runs, size_t n, size_t stride, uint64_t a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const uint64_t *r = (const uint64_t *)((const char *)runs + mid * stride);
		if (r[0] + r[1] * PAGE <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int emit_range(struct emit *m, int depth, int k, uint64_t a, uint64_t b);

/* Pages [a, b) of process k of level depth that its parent holds. */
static int emit_from_parent(struct emit *m, int depth, const struct level_proc *p, uint64_t a, uint64_t b)
{
	struct level *child = &m->c->levels[depth];
	if (depth + 1 >= m->c->nr)
		return corrupt(child, m->e, "pages from a parent, but no parent");
	int pk = find_proc(&m->c->levels[depth + 1], p->parent_pid);
	if (pk < 0)
		return cryo_fail(m->e, 0, RES, "", ESTALE, "parent %s of %s holds no process %d, which its child names",
				 m->c->levels[depth + 1].path, child->path, p->parent_pid);
	if (depth + 1 == m->base)
		return m->from_base(m->arg, p->parent_pid, a, (b - a) / PAGE, m->e);
	return emit_range(m, depth + 1, pk, a, b);
}

static int emit_range(struct emit *m, int depth, int k, uint64_t a, uint64_t b)
{
	struct level *l = &m->c->levels[depth];
	struct level_proc *p = proc_at(l, k, m->e);
	if (!p)
		return -1;
	size_t i = first_ending_after(p->runs, p->nr_runs, sizeof(*p->runs), a);
	size_t j = first_ending_after(p->from_parent, p->nr_from_parent, sizeof(*p->from_parent), a);
	for (;;) {
		int have_run = i < p->nr_runs && p->runs[i].vaddr < b;
		int have_parent = j < p->nr_from_parent && p->from_parent[j].vaddr < b;
		if (!have_run && !have_parent)
			return 0;
		int run_first = have_run && (!have_parent || p->runs[i].vaddr < p->from_parent[j].vaddr);
		uint64_t start = run_first ? p->runs[i].vaddr : p->from_parent[j].vaddr;
		uint64_t end = start + (run_first ? p->runs[i].nr_pages : p->from_parent[j].nr_pages) * PAGE;
		uint64_t from = start > a ? start : a, to = end < b ? end : b;
		if (run_first && have_parent && p->from_parent[j].vaddr < end)
			return corrupt(l, m->e, "a page both in PAGEMAP and PARENT_PAGES");
		if (!run_first && have_run && p->runs[i].vaddr < end)
			return corrupt(l, m->e, "a page both in PAGEMAP and PARENT_PAGES");
		if (depth == 0)
			m->fresh = 1;
		int rc = run_first ? copy_pages(m, l, p, from, p->runs[i].data_offset + (from - start), (to - from) / PAGE)
				   : emit_from_parent(m, depth, p, from, to);
		if (rc)
			return -1;
		if (run_first)
			i++;
		else
			j++;
	}
}

int chain_pages(struct chain *c, int32_t pid, chain_sink sink, void *arg, struct cryo_error *e)
{
	int k = find_proc(&c->levels[0], pid);
	if (k < 0)
		return 1;
	struct emit m = { c, sink, arg, 1, e, c->nr, NULL };
	return emit_range(&m, 0, k, 0, UINT64_MAX & ~(uint64_t)(PAGE - 1)) || finish_streams(c, e) ? -1 : 0;
}

/* ---- merging into one file ---- */

struct merged {
	struct image_writer *w;
	struct cryo_page_run *runs;
	size_t nr, cap;
	uint64_t data;
	/* the PAGE_SUMS of the merged page data (the newest file's are of its own pages only) */
	struct page_sums sums;
	/* merged onto a base: the pages left to it, and its process */
	struct cryo_parent_run *from;
	size_t nr_from, cap_from;
	int32_t base_pid;
};

static int write_merged_page(void *arg, uint64_t vaddr, const char *data, uint64_t nr_pages, int fresh,
			     struct cryo_error *e)
{
	struct merged *m = arg;
	struct cryo_page_run *last = m->nr ? &m->runs[m->nr - 1] : NULL;
	if (!fresh && last && last->vaddr + last->nr_pages * PAGE == vaddr) {
		last->nr_pages += nr_pages;
	} else {
		if (m->nr == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 256;
			struct cryo_page_run *n = realloc(m->runs, m->cap * sizeof(*n));
			if (!n)
				return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
			m->runs = n;
		}
		m->runs[m->nr++] = (struct cryo_page_run){ vaddr, nr_pages, m->data };
	}
	m->data += nr_pages * PAGE;
	if (iw_write(m->w, data, (size_t)(nr_pages * PAGE), e))
		return -1;
	page_sums_add(&m->sums, data, (size_t)(nr_pages * PAGE));
	return 0;
}

static int leave_to_base(void *arg, int32_t pid, uint64_t vaddr, uint64_t nr_pages, struct cryo_error *e)
{
	struct merged *m = arg;
	if (m->nr_from == m->cap_from) {
		size_t cap = m->cap_from ? m->cap_from * 2 : 256;
		struct cryo_parent_run *n = realloc(m->from, cap * sizeof(*n));
		if (!n)
			return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		m->from = n;
		m->cap_from = cap;
	}
	/* pieces of runs that each lie in one mapping, in address order: kept apart, as they come */
	m->from[m->nr_from++] = (struct cryo_parent_run){ vaddr, nr_pages };
	m->base_pid = pid;
	return 0;
}

/* PARENT_PAGES of process k of the merged file: what it leaves to the base. */
static int write_left_to_base(struct image_writer *w, const struct merged *m, int32_t own_pid, struct cryo_error *e)
{
	struct cryo_parent_pages h = { (uint32_t)(sizeof(h) + m->nr_from * sizeof(*m->from)),
				       m->nr_from ? m->base_pid : own_pid, m->nr_from };
	return iw_begin(w, CRYO_SEC_PARENT_PAGES, 8, e) || iw_write(w, &h, sizeof(h), e) ||
	       (m->nr_from && iw_write(w, m->from, m->nr_from * sizeof(*m->from), e)) || iw_end(w, e) ? -1 : 0;
}

static int copy_section(struct image_writer *w, struct image_reader *r, const struct cryo_section_entry *s,
			char *buf, size_t size, struct cryo_error *e)
{
	if (iw_begin(w, s->type, s->type == CRYO_SEC_PAGES ? PAGE : 8, e))
		return -1;
	for (uint64_t done = 0; done < s->length;) {
		size_t n = s->length - done < size ? (size_t)(s->length - done) : size;
		if (pread(r->fd, buf, n, (off_t)(s->offset + done)) != (ssize_t)n)
			return cryo_fail_errno(e, 0, RES, "pread", "cannot read %s", r->path);
		if (iw_write(w, buf, n, e))
			return -1;
		done += n;
	}
	return iw_end(w, e);
}

static int emit_pages_of(struct chain *c, int k, int base, struct merged *out, struct cryo_error *e)
{
	struct emit m = { c, write_merged_page, out, 1, e, base, leave_to_base };
	return emit_range(&m, 0, k, 0, UINT64_MAX & ~(uint64_t)(PAGE - 1));
}

/* Every section of the newest file, but its processes' PAGES, PAGE_SUMS and
 * PAGEMAP merged through the chain's newest base files.  base == c->nr: the
 * whole chain, and no trace of it left; less: an incremental file on level
 * base, whose PARENT record (that of the file above it) and PARENT_PAGES
 * (what the merged levels left to it) it takes. */
static int write_merged(struct chain *c, int base, struct image_writer *w, struct cryo_error *e)
{
	struct level *top = &c->levels[0];
	int onto = base < c->nr;
	struct merged m = { .w = w };
	int pages_k = 0, map_k = 0, sums_k = 0, rc = 0;
	/* a compressed newest file has no PAGE_SUMS (its blocks have their own checksums): the
	 * merged page data is plain, and gets them, so that a lazy restart can serve it */
	int add_sums = ir_find(&top->r, CRYO_SEC_PAGE_SUMS, 0) == NULL;
	if (page_sums_init(&m.sums))
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	for (uint32_t i = 0; i < top->r.nr_sections && !rc; i++) {
		const struct cryo_section_entry *s = &top->r.table[i];
		/* a tracker stays: it was armed on the state the merged file holds; the merged
		 * page data is plain, so no block index */
		if (s->type == CRYO_SEC_PAGE_BLOCKS || (!onto && (s->type == CRYO_SEC_PARENT || s->type == CRYO_SEC_PARENT_PAGES)))
			continue;
		if (s->type == CRYO_SEC_PARENT) {
			const struct cryo_section_entry *named = ir_find(&c->levels[base - 1].r, CRYO_SEC_PARENT, 0);
			rc = named ? copy_section(w, &c->levels[base - 1].r, named, c->buf, COPY_PAGES * PAGE, e)
				   : corrupt(&c->levels[base - 1], e, "an incremental file without PARENT");
		} else if (s->type == CRYO_SEC_PARENT_PAGES) {
			if (pages_k < 1 || pages_k > top->nr_procs)
				rc = corrupt(top, e, "PARENT_PAGES before its PAGES");
			else
				rc = write_left_to_base(w, &m, top->procs[pages_k - 1].pid, e);
		} else if (s->type == CRYO_SEC_PAGES) {
			if (pages_k >= top->nr_procs)
				return corrupt(top, e, "more PAGES sections than processes");
			m.nr = 0;
			m.data = 0;
			m.nr_from = 0;
			page_sums_restart(&m.sums);
			rc = iw_begin(w, CRYO_SEC_PAGES, PAGE, e) || emit_pages_of(c, pages_k++, base, &m, e) || iw_end(w, e) ||
			     finish_streams(c, e) ? -1 : 0;
			page_sums_finish(&m.sums);
			if (!rc && m.sums.failed)
				rc = cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory for the page checksums");
			if (!rc && add_sums)
				rc = page_sums_write(w, m.sums.sums, m.sums.nr, e);
		} else if (s->type == CRYO_SEC_PAGE_SUMS) {
			/* the newest file's sums are of its own page data: these are of the merged */
			if (sums_k++ != pages_k - 1)
				rc = corrupt(top, e, "PAGE_SUMS before its PAGES");
			else
				rc = page_sums_write(w, m.sums.sums, m.sums.nr, e);
		} else if (s->type == CRYO_SEC_PAGEMAP) {
			if (map_k++ != pages_k - 1)
				rc = corrupt(top, e, "PAGEMAP before its PAGES");
			else
				rc = iw_begin(w, CRYO_SEC_PAGEMAP, 8, e) || iw_write(w, m.runs, m.nr * sizeof(*m.runs), e) ||
				     iw_end(w, e) ? -1 : 0;
		} else {
			rc = copy_section(w, &top->r, s, c->buf, COPY_PAGES * PAGE, e);
		}
	}
	free(m.runs);
	page_sums_free(&m.sums);
	free(m.from);
	return rc || finish_streams(c, e) ? -1 : 0;
}

int chain_compact_onto(const char *in, int levels, const char *out, int replace, const char *backup,
		       uint64_t *file_size, struct cryo_error *e)
{
	struct chain *c;
	struct image_writer w;
	if (chain_open(&c, in, 1, e))
		return -1;
	int base = levels > 0 && levels < c->nr ? levels : c->nr;
	int rc = iw_open(&w, out, 0, e);
	if (!rc && base < c->nr)
		w.flags |= CRYO_FILE_INCREMENTAL;
	if (!rc && iw_set_replace(&w, replace, backup, e)) {
		iw_abort(&w);
		rc = -1;
	} else if (!rc) {
		rc = write_merged(c, base, &w, e) || iw_commit(&w, file_size, e) ? -1 : 0;
		if (rc)
			iw_abort(&w);
	}
	chain_close(c);
	return rc;
}

int chain_compact(const char *in, const char *out, int replace, const char *backup, uint64_t *file_size,
		  struct cryo_error *e)
{
	return chain_compact_onto(in, 0, out, replace, backup, file_size, e);
}

/* The merged file goes beside the chain (its file system has room for it),
 * else to $TMPDIR or /tmp; either way without a name. */
static int open_nameless_beside(struct image_writer *w, const char *path, struct cryo_error *e)
{
	char dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s", path);
	if (iw_open(w, dirname(dir), 0, e) == 0)
		return 0;
	return iw_open(w, tmp && *tmp ? tmp : "/tmp", 0, e);
}

int chain_materialize(const char *path, int *fd, char *name, size_t size, struct cryo_error *e)
{
	struct image_reader r;
	struct chain *c;
	struct image_writer w;
	*fd = -1;
	if (ir_open(&r, path, e))
		return -1;
	int incremental = chain_is_incremental(&r);
	ir_close(&r);
	if (!incremental)
		return 0;
	/* every file of the chain checked whole, page data too, before anything is restored */
	if (chain_open(&c, path, 1, e))
		return -1;
	int rc = open_nameless_beside(&w, path, e);
	if (!rc) {
		rc = write_merged(c, chain_length(c), &w, e);
		if (rc)
			iw_abort(&w);
		else
			rc = iw_finish_nameless(&w, fd, e);
	}
	chain_close(c);
	if (!rc)
		snprintf(name, size, "/proc/self/fd/%d", *fd);
	return rc;
}

int chain_parent_of(const char *path, char *name, size_t size, uint32_t *depth, struct cryo_error *e)
{
	struct level l = { 0 };
	struct parent_record pr;
	*depth = 0;
	name[0] = 0;
	snprintf(l.path, sizeof(l.path), "%s", path);
	if (ir_open(&l.r, l.path, e))
		return -1;
	int rc = 0;
	if (chain_is_incremental(&l.r) && !(rc = read_parent_record(&l, &pr, e))) {
		*depth = pr.p.depth;
		snprintf(name, size, "%s", pr.base);
	}
	ir_close(&l.r);
	return rc;
}
