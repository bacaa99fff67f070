#include "dirty.h"
#include "snapshot.h"
#include "cow.h"
#include "error.h"
#include "inet.h"
#include "fdtypes.h"
#include "resources.h"
#include "fdowners.h"
#include "seccomp.h"
#include "timers.h"
#include "pagestream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RES "context file"

char *snap_strdup(const char *str)
{
	return strdup(str ? str : "");
}

void snapshot_free(struct snapshot *s)
{
	free(s->hostname); free(s->kernel); free(s->user); free(s->cmdline);
	free(s->comm); free(s->cwd); free(s->exe); free(s->shared_pending);
	for (int i = 0; i < s->nr_threads; i++) {
		free(s->threads[i].xstate);
		free(s->threads[i].pending);
	}
	free(s->threads);
	for (int i = 0; i < s->nr_vmas; i++) {
		free(s->vmas[i].path);
		free(s->vmas[i].resident);
	}
	free(s->vmas);
	for (int i = 0; i < s->nr_fds; i++) {
		free(s->fds[i].path);
		free(s->fds[i].detail);
	}
	free(s->fds);
	free(s->runs);
	free(s->shared);
	free(s->guards);
	free(s->timers);
	free(s->seccomp);
	dirty_free(s);
	memset(s, 0, sizeof(*s));
}

/* ---- encoding: a record is its fixed part, then strings, then blobs ---- */

struct rec_buf {
	char *data;
	size_t len, cap;
	int failed;
};

static void rb_put(struct rec_buf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void rb_pad8(struct rec_buf *b)
{
	static const char zeros[8];
	rb_put(b, zeros, (8 - b->len % 8) % 8);
}

static void rb_string(struct rec_buf *b, const char *str, uint32_t len)
{
	rb_put(b, &len, sizeof(len));
	rb_put(b, str, len);
	rb_pad8(b);
}

static void rb_cstring(struct rec_buf *b, const char *str)
{
	rb_string(b, str ? str : "", str ? (uint32_t)strlen(str) : 0);
}

/* Start a record: its fixed part, whose first field is record_size. */
static size_t rb_begin(struct rec_buf *b, const void *fixed, size_t n)
{
	size_t at = b->len;
	rb_put(b, fixed, n);
	rb_pad8(b);
	return at;
}

static void rb_finish(struct rec_buf *b, size_t at)
{
	if (b->failed)
		return;
	uint32_t size = (uint32_t)(b->len - at);
	memcpy(b->data + at, &size, sizeof(size));
}

static int write_section(struct image_writer *w, uint32_t type, struct rec_buf *b, struct cryo_error *e)
{
	int rc;
	if (b->failed)
		rc = cryo_fail(e, w->pid, RES, "malloc", ENOMEM, "out of memory encoding the context");
	else
		rc = iw_begin(w, type, 8, e) || iw_write(w, b->data, b->len, e) || iw_end(w, e) ? -1 : 0;
	free(b->data);
	memset(b, 0, sizeof(*b));
	return rc;
}

int snapshot_write_info(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	struct rec_buf b = {0};
	size_t at = rb_begin(&b, &s->info, sizeof(s->info));
	rb_cstring(&b, s->hostname);
	rb_cstring(&b, s->kernel);
	rb_cstring(&b, s->user);
	rb_string(&b, s->cmdline ? s->cmdline : "", s->cmdline_len);
	rb_finish(&b, at);
	return write_section(w, CRYO_SEC_INFO, &b, e);
}

int tree_write_pipes(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_pipes; i++) {
		size_t at = rb_begin(&b, &t->pipes[i].r, sizeof(t->pipes[i].r));
		rb_put(&b, t->pipes[i].data, t->pipes[i].r.data_len);
		rb_pad8(&b);
		rb_cstring(&b, t->pipes[i].fifo_path);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_PIPES, &b, e);
}

int tree_write_socketpairs(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_socketpairs; i++) {
		const struct socketpair_rec *p = &t->socketpairs[i];
		size_t at = rb_begin(&b, &p->r, sizeof(p->r));
		rb_put(&b, p->queued[0], p->r.queued_len[0]);
		rb_put(&b, p->queued[1], p->r.queued_len[1]);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SOCKETPAIRS, &b, e);
}

int tree_write_sysv_shm(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_sysv_shm; i++) {
		size_t at = rb_begin(&b, &t->sysv_shm[i].r, sizeof(t->sysv_shm[i].r));
		rb_put(&b, t->sysv_shm[i].contents, t->sysv_shm[i].r.size);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SYSV_SHM, &b, e);
}

int tree_write_tcp(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_tcp; i++) {
		size_t at = rb_begin(&b, &t->tcp[i].r, sizeof(t->tcp[i].r));
		rb_put(&b, t->tcp[i].send, t->tcp[i].r.send_len);
		rb_put(&b, t->tcp[i].recv, t->tcp[i].r.recv_len);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_TCP, &b, e);
}

int tree_write_sysv_sem(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_sysv_sem; i++) {
		size_t at = rb_begin(&b, &t->sysv_sem[i].r, sizeof(t->sysv_sem[i].r));
		rb_put(&b, t->sysv_sem[i].values, t->sysv_sem[i].r.nsems * sizeof(uint16_t));
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SYSV_SEM, &b, e);
}

int tree_write_sysv_msg(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_sysv_msg; i++) {
		size_t at = rb_begin(&b, &t->sysv_msg[i].r, sizeof(t->sysv_msg[i].r));
		rb_put(&b, t->sysv_msg[i].messages, t->sysv_msg[i].r.bytes);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SYSV_MSG, &b, e);
}

int tree_write_shmem_files(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_shmem_files; i++) {
		const struct shmem_file_rec *m = &t->shmem_files[i];
		size_t at = rb_begin(&b, &m->r, sizeof(m->r));
		if (m->r.flags) {           /* a file saved by content: its extents, then its path */
			rb_put(&b, &m->nr_extents, sizeof(m->nr_extents));
			rb_put(&b, m->extents, m->nr_extents * 2 * sizeof(*m->extents));
		}
		rb_put(&b, m->contents, m->r.flags ? m->data_len : m->r.size);
		rb_pad8(&b);
		if (m->r.flags)
			rb_cstring(&b, m->path);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SHMEM_FILES, &b, e);
}

int snapshot_write_process(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	struct rec_buf b = {0};
	size_t at;

	at = rb_begin(&b, &s->proc, sizeof(s->proc));
	rb_cstring(&b, s->comm);
	rb_cstring(&b, s->cwd);
	rb_cstring(&b, s->exe);
	rb_put(&b, s->shared_pending, (size_t)s->proc.nr_shared_pending * SIGINFO_BYTES);
	struct cryo_groups g = { .nr_groups = s->nr_groups > 0 ? (uint32_t)s->nr_groups : 0 };
	rb_put(&b, &g, sizeof(g));
	rb_put(&b, s->groups, g.nr_groups * sizeof(s->groups[0]));
	rb_pad8(&b);
	struct cryo_proc_attrs attrs = s->attrs;
	attrs.size = sizeof(attrs);
	rb_put(&b, &attrs, sizeof(attrs));
	rb_finish(&b, at);
	if (write_section(w, CRYO_SEC_PROCESS, &b, e))
		return -1;

	for (int i = 0; i < s->nr_threads; i++) {
		const struct thread_rec *t = &s->threads[i];
		at = rb_begin(&b, &t->r, sizeof(t->r));
		rb_put(&b, t->xstate, t->r.xstate_size);
		rb_pad8(&b);
		rb_put(&b, t->pending, (size_t)t->r.nr_pending * SIGINFO_BYTES);
		rb_put(&b, t->name, sizeof(struct cryo_thread_name));
		if (t->affinity_len) {
			struct cryo_thread_affinity aff = { .nr_bytes = t->affinity_len };
			rb_put(&b, &aff, sizeof(aff));
			rb_put(&b, t->affinity, t->affinity_len);
		}
		rb_finish(&b, at);
		if (write_section(w, CRYO_SEC_THREAD, &b, e))
			return -1;
	}

	for (int i = 0; i < s->nr_vmas; i++) {
		at = rb_begin(&b, &s->vmas[i].r, sizeof(s->vmas[i].r));
		rb_cstring(&b, s->vmas[i].path);
		rb_finish(&b, at);
	}
	if (write_section(w, CRYO_SEC_VMAS, &b, e))
		return -1;

	for (int i = 0; i < s->nr_fds; i++) {
		at = rb_begin(&b, &s->fds[i].r, sizeof(s->fds[i].r));
		rb_cstring(&b, s->fds[i].path);
		rb_string(&b, s->fds[i].detail ? s->fds[i].detail : "", s->fds[i].detail_len);
		struct cryo_fd_owner owner = s->fds[i].owner;
		owner.size = sizeof(owner);
		rb_put(&b, &owner, sizeof(owner));
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_FILES, &b, e);
}

int snapshot_write_pagemap(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	if (iw_begin(w, CRYO_SEC_PAGEMAP, 8, e) ||
	    iw_write(w, s->runs, s->nr_runs * sizeof(*s->runs), e) || iw_end(w, e))
		return -1;
	return 0;
}

/* ---- decoding: nothing is trusted ---- */

struct cursor {
	const char *p, *end;
	struct image_reader *r;
	struct cryo_error *e;
	int bad;
};

static int bad(struct cursor *c, const char *what)
{
	if (!c->bad)
		cryo_fail(c->e, 0, RES, "", 0, "context file %s is corrupt: %s", c->r->path, what);
	c->bad = 1;
	return -1;
}

static size_t remaining(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static int take(struct cursor *c, void *out, size_t n, const char *what)
{
	if (c->bad || remaining(c) < n)
		return bad(c, what);
	memcpy(out, c->p, n);
	c->p += n;
	return 0;
}

static void skip_pad8(struct cursor *c, const char *base)
{
	size_t off = (size_t)(c->p - base);
	size_t pad = (8 - off % 8) % 8;
	if (remaining(c) >= pad)
		c->p += pad;
}

/* a string as written by rb_string; *len may be NULL */
static char *take_string(struct cursor *c, const char *base, uint32_t *len_out, const char *what)
{
	uint32_t len;
	if (take(c, &len, sizeof(len), what))
		return NULL;
	if (len > remaining(c) || len > (64u << 20)) {
		bad(c, what);
		return NULL;
	}
	char *s = malloc((size_t)len + 1);
	if (!s) {
		bad(c, "out of memory");
		return NULL;
	}
	memcpy(s, c->p, len);
	s[len] = 0;
	c->p += len;
	skip_pad8(c, base);
	if (len_out)
		*len_out = len;
	return s;
}

/* Enter a record: read its fixed part (at least min bytes of it, the rest
 * of a shorter one zeroed) and bound the cursor by record_size. */
static int enter_record(struct cursor *c, struct cursor *rec, void *fixed, size_t size, const char *what)
{
	uint32_t record_size;
	if (remaining(c) < sizeof(record_size))
		return bad(c, what);
	memcpy(&record_size, c->p, sizeof(record_size));
	if (record_size < size || record_size > remaining(c) || record_size % 8)
		return bad(c, what);
	*rec = *c;
	rec->end = c->p + record_size;
	memcpy(fixed, rec->p, size);
	rec->p += size;
	skip_pad8(rec, c->p);
	c->p += record_size;
	return 0;
}

static int load_section(struct image_reader *r, uint32_t type, int n, void **buf, struct cursor *c,
			int required, struct cryo_error *e)
{
	const struct cryo_section_entry *s = ir_find(r, type, n);
	*buf = NULL;
	if (!s) {
		if (!required)
			return 1;
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: section %u missing", r->path, type);
	}
	if (ir_load(r, s, buf, e))
		return -1;
	c->p = *buf;
	c->end = c->p + s->length;
	c->r = r;
	c->e = e;
	c->bad = 0;
	return 0;
}

static int read_info(struct image_reader *r, struct snapshot *s, struct cryo_error *e)
{
	void *buf;
	struct cursor c, rec;
	if (load_section(r, CRYO_SEC_INFO, 0, &buf, &c, 1, e))
		return -1;
	if (!enter_record(&c, &rec, &s->info, sizeof(s->info), "info record")) {
		const char *base = buf;
		s->hostname = take_string(&rec, base, NULL, "host name");
		s->kernel = take_string(&rec, base, NULL, "kernel release");
		s->user = take_string(&rec, base, NULL, "user name");
		s->cmdline = take_string(&rec, base, &s->cmdline_len, "command line");
	}
	free(buf);
	return c.bad || rec.bad ? -1 : 0;
}

/* The process attributes after the groups, if the file has them; a newer
 * writer's larger record is taken in part. */
static void read_attrs(struct cursor *rec, const char *base, struct snapshot *s)
{
	struct cryo_proc_attrs a;
	s->has_attrs = 0;
	skip_pad8(rec, base);
	if (rec->bad || remaining(rec) < sizeof(a))
		return;
	take(rec, &a, sizeof(a), "process attributes");
	if (a.size < sizeof(a) || a.size - sizeof(a) > remaining(rec)) {
		bad(rec, "process attributes");
		return;
	}
	rec->p += a.size - sizeof(a);
	s->attrs = a;
	s->has_attrs = 1;
}

/* The supplementary groups after the pending signals, if the file has them. */
static void read_groups(struct cursor *rec, struct snapshot *s)
{
	struct cryo_groups g;
	s->nr_groups = -1;
	if (rec->bad || remaining(rec) < sizeof(g))
		return;
	take(rec, &g, sizeof(g), "supplementary groups");
	if (g.nr_groups > CRYO_MAX_GROUPS || g.nr_groups * sizeof(s->groups[0]) > remaining(rec)) {
		bad(rec, "supplementary groups");
		return;
	}
	take(rec, s->groups, g.nr_groups * sizeof(s->groups[0]), "supplementary groups");
	s->nr_groups = (int)g.nr_groups;
}

static int read_process(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	void *buf;
	struct cursor c, rec = {0};
	if (load_section(r, CRYO_SEC_PROCESS, k, &buf, &c, 1, e))
		return -1;
	if (!enter_record(&c, &rec, &s->proc, sizeof(s->proc), "process record")) {
		s->comm = take_string(&rec, buf, NULL, "command name");
		s->cwd = take_string(&rec, buf, NULL, "working directory");
		s->exe = take_string(&rec, buf, NULL, "executable");
		uint32_t n = s->proc.nr_shared_pending;
		if (!rec.bad && (n > 4096 || (size_t)n * SIGINFO_BYTES > remaining(&rec)))
			bad(&rec, "pending signals");
		if (!rec.bad && n) {
			s->shared_pending = malloc((size_t)n * SIGINFO_BYTES);
			if (!s->shared_pending)
				bad(&rec, "out of memory");
			else
				take(&rec, s->shared_pending, (size_t)n * SIGINFO_BYTES, "pending signals");
		}
		read_groups(&rec, s);
		read_attrs(&rec, buf, s);
		if (s->proc.auxv_words > CRYO_AUXV_WORDS)
			bad(&rec, "auxiliary vector");
		int zombie = s->proc.state == CRYO_PROCESS_ZOMBIE;
		if (s->proc.state > CRYO_PROCESS_ZOMBIE || s->proc.nr_threads > 65536 ||
		    (zombie ? s->proc.nr_threads != 0 : s->proc.nr_threads < 1))
			bad(&rec, "thread count");
	}
	free(buf);
	return c.bad || rec.bad ? -1 : 0;
}

/* A mask of whole u64 words, as the kernel gives it; anything else is a corrupt record. */
static void read_affinity(struct cursor *rec, struct thread_rec *t)
{
	struct cryo_thread_affinity aff;
	take(rec, &aff, sizeof(aff), "thread CPU affinity");
	if (rec->bad)
		return;
	if (aff.flags || aff.nr_bytes < 8 || aff.nr_bytes > CRYO_AFFINITY_MAX || aff.nr_bytes % 8 ||
	    aff.nr_bytes > remaining(rec)) {
		bad(rec, "thread CPU affinity");
		return;
	}
	take(rec, t->affinity, aff.nr_bytes, "thread CPU affinity");
	t->affinity_len = aff.nr_bytes;
}

static int read_threads(struct image_reader *r, struct snapshot *s, int base, struct cryo_error *e)
{
	s->threads = calloc(s->proc.nr_threads ? s->proc.nr_threads : 1, sizeof(*s->threads));
	if (!s->threads)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	for (uint32_t i = 0; i < s->proc.nr_threads; i++) {
		void *buf;
		struct cursor c, rec = {0};
		struct thread_rec *t = &s->threads[i];
		if (load_section(r, CRYO_SEC_THREAD, base + (int)i, &buf, &c, 1, e))
			return -1;
		s->nr_threads = (int)i + 1;
		if (!enter_record(&c, &rec, &t->r, sizeof(t->r), "thread record")) {
			if (t->r.xstate_size > CRYO_XSTATE_MAX || t->r.xstate_size > remaining(&rec))
				bad(&rec, "extended register state");
			else if ((t->xstate = malloc(t->r.xstate_size ? t->r.xstate_size : 1)))
				take(&rec, t->xstate, t->r.xstate_size, "extended register state");
			skip_pad8(&rec, buf);
			uint32_t n = t->r.nr_pending;
			if (!rec.bad && (n > 4096 || (size_t)n * SIGINFO_BYTES > remaining(&rec)))
				bad(&rec, "thread pending signals");
			if (!rec.bad && n && (t->pending = malloc((size_t)n * SIGINFO_BYTES)))
				take(&rec, t->pending, (size_t)n * SIGINFO_BYTES, "thread pending signals");
			if (!rec.bad && (!t->xstate || (n && !t->pending)))
				bad(&rec, "out of memory");
			if (!rec.bad && remaining(&rec) >= sizeof(struct cryo_thread_name)) {   /* else an older file */
				take(&rec, t->name, sizeof(struct cryo_thread_name), "thread name");
				t->name[sizeof(t->name) - 1] = 0;
			}
			if (!rec.bad && remaining(&rec) >= sizeof(struct cryo_thread_affinity))   /* else an older file */
				read_affinity(&rec, t);
		}
		free(buf);
		if (c.bad || rec.bad)
			return -1;
	}
	return 0;
}

static int read_vmas(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	if (load_section(r, CRYO_SEC_VMAS, k, &buf, &c, 1, e))
		return -1;
	size_t cap = 0;
	uint64_t prev_end = 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct vma_rec v = {0};
		if (enter_record(&c, &rec, &v.r, sizeof(v.r), "mapping record"))
			break;
		v.path = take_string(&rec, buf, NULL, "mapping path");
		if (rec.bad) {
			c.bad = 1;
			break;
		}
		if (v.r.start >= v.r.end || v.r.start % CRYO_PAGE_SIZE || v.r.end % CRYO_PAGE_SIZE ||
		    v.r.start < prev_end || v.r.kind < CRYO_VMA_ANON_PRIVATE || v.r.kind > CRYO_VMA_SYSV_SHM) {
			free(v.path);
			bad(&c, "mapping out of order or of unknown kind");
			break;
		}
		prev_end = v.r.end;
		if ((size_t)s->nr_vmas == cap) {
			cap = cap ? cap * 2 : 64;
			struct vma_rec *n = realloc(s->vmas, cap * sizeof(*n));
			if (!n) {
				free(v.path);
				bad(&c, "out of memory");
				break;
			}
			s->vmas = n;
		}
		s->vmas[s->nr_vmas++] = v;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

static int read_fds(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	if (load_section(r, CRYO_SEC_FILES, k, &buf, &c, 1, e))
		return -1;
	size_t cap = 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct fd_rec f = {0};
		if (enter_record(&c, &rec, &f.r, sizeof(f.r), "file record"))
			break;
		f.path = take_string(&rec, buf, NULL, "file path");
		if (!rec.bad)
			f.detail = take_string(&rec, buf, &f.detail_len, "file detail");
		if (!rec.bad && remaining(&rec) >= sizeof(f.owner) &&    /* else an older file */
		    !take(&rec, &f.owner, sizeof(f.owner), "descriptor owner") && f.owner.size < sizeof(f.owner))
			bad(&rec, "descriptor owner");
		if (rec.bad) {
			free(f.path);
			free(f.detail);
			c.bad = 1;
			break;
		}
		if (f.r.fd < 0 || f.r.fd > (1 << 20) || !fd_ops_of(f.r.kind) || !fdowners_valid(&f) ||
		    f.r.dup_of >= f.r.fd || f.r.dup_of < -1 || (s->nr_fds && f.r.fd <= s->fds[s->nr_fds - 1].r.fd)) {
			free(f.path);
			free(f.detail);
			bad(&c, "file record of unknown kind");
			break;
		}
		if ((size_t)s->nr_fds == cap) {
			cap = cap ? cap * 2 : 16;
			struct fd_rec *n = realloc(s->fds, cap * sizeof(*n));
			if (!n) {
				free(f.path);
				free(f.detail);
				bad(&c, "out of memory");
				break;
			}
			s->fds = n;
		}
		s->fds[s->nr_fds++] = f;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

static const struct vma_rec *vma_containing(const struct snapshot *s, uint64_t start, uint64_t end)
{
	for (int i = 0; i < s->nr_vmas; i++)
		if (s->vmas[i].r.start <= start && end <= s->vmas[i].r.end)
			return &s->vmas[i];
	return NULL;
}

static int read_pagemap(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	if (load_section(r, CRYO_SEC_PAGEMAP, k, &buf, &c, 1, e))
		return -1;
	size_t len = remaining(&c);
	s->pages = ir_find(r, CRYO_SEC_PAGES, k);
	if (len % sizeof(struct cryo_page_run) || !s->pages) {
		free(buf);
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: bad page map", r->path);
	}
	s->runs = buf;
	s->nr_runs = len / sizeof(struct cryo_page_run);
	uint64_t data_len, next_data = 0, prev_end = 0;
	if (ps_page_data_length(r, s->pages, &data_len, NULL, NULL, e))   /* compressed: its block index */
		return -1;
	for (size_t i = 0; i < s->nr_runs; i++) {
		const struct cryo_page_run *run = &s->runs[i];
		uint64_t bytes = run->nr_pages * CRYO_PAGE_SIZE;
		const struct vma_rec *v;
		if (!run->nr_pages || run->nr_pages > (1ULL << 36) || run->vaddr % CRYO_PAGE_SIZE ||
		    run->vaddr < prev_end || run->vaddr + bytes < run->vaddr ||
		    !(v = vma_containing(s, run->vaddr, run->vaddr + bytes)) ||
		    v->r.kind == CRYO_VMA_VDSO || v->r.kind == CRYO_VMA_VVAR || v->r.kind == CRYO_VMA_FILE_SHARED ||
		    v->r.kind == CRYO_VMA_SYSV_SHM ||
		    run->data_offset != next_data || bytes > data_len - run->data_offset)
			return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: page run %zu out of bounds", r->path, i);
		prev_end = run->vaddr + bytes;
		next_data += bytes;
	}
	if (next_data != data_len)
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: page data size mismatch", r->path);
	return 0;
}

int tree_read_pipes(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_PIPES, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;     /* no pipes: fine */
	int cap = 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct pipe_rec p = {0};
		if (enter_record(&c, &rec, &p.r, sizeof(p.r), "pipe record"))
			break;
		if (p.r.data_len > remaining(&rec) || p.r.data_len > (1ULL << 30)) {
			bad(&c, "pipe data");
			break;
		}
		if (t->nr_pipes == cap) {
			cap = cap ? cap * 2 : 8;
			struct pipe_rec *n = realloc(t->pipes, (size_t)cap * sizeof(*n));
			if (!n) {
				bad(&c, "out of memory");
				break;
			}
			t->pipes = n;
		}
		p.data = malloc(p.r.data_len ? p.r.data_len : 1);
		if (!p.data) {
			bad(&c, "out of memory");
			break;
		}
		memcpy(p.data, rec.p, p.r.data_len);
		rec.p += p.r.data_len;
		skip_pad8(&rec, buf);
		p.fifo_path = take_string(&rec, buf, NULL, "FIFO path");
		if (rec.bad) {
			free(p.data);
			c.bad = 1;
			break;
		}
		t->pipes[t->nr_pipes++] = p;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

int tree_read_socketpairs(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SOCKETPAIRS, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct socketpair_rec p = {0};
		if (enter_record(&c, &rec, &p.r, sizeof(p.r), "socket pair record"))
			break;
		uint64_t a = p.r.queued_len[0], b = p.r.queued_len[1];
		if (a > (1u << 30) || b > (1u << 30) || a + b > remaining(&rec)) {
			bad(&c, "socket pair data");
			break;
		}
		struct socketpair_rec *grown = realloc(t->socketpairs, (size_t)(t->nr_socketpairs + 1) * sizeof(*grown));
		if (!grown) {
			bad(&c, "out of memory");
			break;
		}
		t->socketpairs = grown;
		p.queued[0] = malloc(a ? a : 1);
		p.queued[1] = malloc(b ? b : 1);
		if (!p.queued[0] || !p.queued[1]) {
			free(p.queued[0]);
			free(p.queued[1]);
			bad(&c, "out of memory");
			break;
		}
		memcpy(p.queued[0], rec.p, a);
		memcpy(p.queued[1], rec.p + a, b);
		t->socketpairs[t->nr_socketpairs++] = p;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

int tree_read_sysv_shm(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SYSV_SHM, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct sysv_shm_rec m = {0};
		if (enter_record(&c, &rec, &m.r, sizeof(m.r), "SysV shared memory record"))
			break;
		if (m.r.size > remaining(&rec) || m.r.shmid < 0) {
			bad(&c, "SysV shared memory contents");
			break;
		}
		struct sysv_shm_rec *grown = realloc(t->sysv_shm, (size_t)(t->nr_sysv_shm + 1) * sizeof(*grown));
		if (!grown || !(m.contents = malloc(m.r.size ? m.r.size : 1))) {
			if (grown)
				t->sysv_shm = grown;
			bad(&c, "out of memory");
			break;
		}
		t->sysv_shm = grown;
		memcpy(m.contents, rec.p, m.r.size);
		t->sysv_shm[t->nr_sysv_shm++] = m;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

int tree_read_tcp(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_TCP, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct tcp_rec p = {0};
		if (enter_record(&c, &rec, &p.r, sizeof(p.r), "TCP record"))
			break;
		uint64_t a = p.r.send_len, b = p.r.recv_len;
		if (a > (1u << 30) || b > (1u << 30) || a + b > remaining(&rec) ||
		    p.r.local_len > sizeof(p.r.local) || p.r.peer_len > sizeof(p.r.peer)) {
			bad(&c, "TCP record");
			break;
		}
		struct tcp_rec *grown = realloc(t->tcp, (size_t)(t->nr_tcp + 1) * sizeof(*grown));
		if (grown)
			t->tcp = grown;
		p.send = malloc(a ? a : 1);
		p.recv = malloc(b ? b : 1);
		if (!grown || !p.send || !p.recv) {
			free(p.send);
			free(p.recv);
			bad(&c, "out of memory");
			break;
		}
		memcpy(p.send, rec.p, a);
		memcpy(p.recv, rec.p + a, b);
		t->tcp[t->nr_tcp++] = p;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

int tree_read_sysv_sem(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SYSV_SEM, 0, &buf, &c, 0, e);
	if (rc < 0)
		return -1;
	while (!rc && !c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct sysv_sem_rec m = {0};
		if (enter_record(&c, &rec, &m.r, sizeof(m.r), "SysV semaphore record"))
			break;
		size_t len = (size_t)m.r.nsems * sizeof(uint16_t);
		struct sysv_sem_rec *grown;
		if (m.r.nsems > 65536 || len > remaining(&rec) ||
		    !(grown = realloc(t->sysv_sem, (size_t)(t->nr_sysv_sem + 1) * sizeof(*grown)))) {
			bad(&c, "SysV semaphore record");
			break;
		}
		t->sysv_sem = grown;
		if (!(m.values = malloc(len ? len : 1))) {
			bad(&c, "out of memory");
			break;
		}
		memcpy(m.values, rec.p, len);
		t->sysv_sem[t->nr_sysv_sem++] = m;
	}
	free(buf);
	return !rc && c.bad ? -1 : 0;
}

int tree_read_sysv_msg(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SYSV_MSG, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct sysv_msg_rec m = {0};
		if (enter_record(&c, &rec, &m.r, sizeof(m.r), "SysV message queue record"))
			break;
		struct sysv_msg_rec *grown;
		if (m.r.bytes > remaining(&rec) ||
		    !(grown = realloc(t->sysv_msg, (size_t)(t->nr_sysv_msg + 1) * sizeof(*grown)))) {
			bad(&c, "SysV message queue record");
			break;
		}
		t->sysv_msg = grown;
		if (!(m.messages = malloc(m.r.bytes ? m.r.bytes : 1))) {
			bad(&c, "out of memory");
			break;
		}
		memcpy(m.messages, rec.p, m.r.bytes);
		t->sysv_msg[t->nr_sysv_msg++] = m;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

/* The extents of a file saved by content: each inside the file, in order, their data all there. */
static int read_file_extents(struct cursor *rec, struct shmem_file_rec *m)
{
	if (take(rec, &m->nr_extents, sizeof(m->nr_extents), "shared memory file extents") ||
	    m->nr_extents > remaining(rec) / 16 || !(m->extents = malloc(m->nr_extents * 16 + 1)) ||
	    take(rec, m->extents, m->nr_extents * 16, "shared memory file extents"))
		return -1;
	uint64_t end = 0;
	m->data_len = 0;
	for (uint64_t i = 0; i < m->nr_extents; i++) {
		uint64_t off = m->extents[2 * i], len = m->extents[2 * i + 1];
		if (off < end || len > m->r.size || off > m->r.size - len)
			return -1;
		end = off + len;
		m->data_len += len;
	}
	return m->data_len > remaining(rec) ? -1 : 0;
}

int tree_read_shmem_files(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SHMEM_FILES, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct shmem_file_rec m = {0};
		if (enter_record(&c, &rec, &m.r, sizeof(m.r), "shared memory file record"))
			break;
		struct shmem_file_rec *grown;
		if ((m.r.flags && read_file_extents(&rec, &m)) || (!m.r.flags && (m.data_len = m.r.size) > remaining(&rec)) ||
		    !(grown = realloc(t->shmem_files, (size_t)(t->nr_shmem_files + 1) * sizeof(*grown)))) {
			free(m.extents);
			bad(&c, "shared memory file record");
			break;
		}
		t->shmem_files = grown;
		if (!(m.contents = malloc(m.data_len ? m.data_len : 1))) {
			free(m.extents);
			bad(&c, "out of memory");
			break;
		}
		memcpy(m.contents, rec.p, m.data_len);
		rec.p += m.data_len;
		skip_pad8(&rec, c.p - m.r.record_size);
		if (m.r.flags && !(m.path = take_string(&rec, c.p - m.r.record_size, NULL, "shared memory file path"))) {
			free(m.extents);
			free(m.contents);
			break;
		}
		t->shmem_files[t->nr_shmem_files++] = m;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

/* ---- sections of a process's own ---- */

int snapshot_write_timers(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	return iw_begin(w, CRYO_SEC_POSIX_TIMERS, 8, e) ||
	       iw_write(w, s->timers, (size_t)s->nr_timers * sizeof(*s->timers), e) || iw_end(w, e) ? -1 : 0;
}

static int corrupt_timers(struct image_reader *r, int k, const char *what, struct cryo_error *e)
{
	return cryo_fail(e, 0, "context file", "", 0, "context file %s is corrupt: POSIX timers of process %d: %s",
			 r->path, k, what);
}

static int add_timer(struct snapshot *s, const struct cryo_posix_timer *t, struct cryo_error *e)
{
	struct cryo_posix_timer *grown = realloc(s->timers, (size_t)(s->nr_timers + 1) * sizeof(*grown));
	if (!grown)
		return cryo_fail(e, s->proc.pid, "POSIX timers", "malloc", ENOMEM, "out of memory");
	s->timers = grown;
	s->timers[s->nr_timers++] = *t;
	return 0;
}

/* Records of 64 bytes (before the overrun count) or more; each checked. */
int snapshot_read_timers(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	const struct cryo_section_entry *sec = ir_find(r, CRYO_SEC_POSIX_TIMERS, k);
	void *buf;
	if (!sec)
		return 0;           /* an older file: no timers recorded */
	if (ir_load(r, sec, &buf, e))
		return -1;
	const char *p = buf, *end = p + sec->length;
	int rc = 0;
	while (!rc && p < end) {
		struct cryo_posix_timer t;
		memset(&t, 0, sizeof(t));
		if ((size_t)(end - p) < CRYO_POSIX_TIMER_V1_SIZE) {
			rc = corrupt_timers(r, k, "a short record", e);
			break;
		}
		memcpy(&t, p, CRYO_POSIX_TIMER_V1_SIZE);
		if (t.record_size < CRYO_POSIX_TIMER_V1_SIZE || t.record_size % 8 || t.record_size > (size_t)(end - p)) {
			rc = corrupt_timers(r, k, "a record of a wrong size", e);
			break;
		}
		memcpy(&t, p, t.record_size < sizeof(t) ? t.record_size : sizeof(t));
		p += t.record_size;
		t.record_size = sizeof(t);
		if (!timers_valid(&t, s) || s->nr_timers >= CRYO_MAX_TIMERS) {
			rc = corrupt_timers(r, k, "a timer out of range", e);
			break;
		}
		for (int i = 0; i < s->nr_timers; i++)
			if (s->timers[i].id == t.id)
				rc = corrupt_timers(r, k, "one timer id twice", e);
		if (!rc)
			rc = add_timer(s, &t, e);
	}
	free(buf);
	return rc;
}

int snapshot_write_seccomp(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	return iw_begin(w, CRYO_SEC_SECCOMP, 8, e) || iw_write(w, s->seccomp, s->seccomp_len, e) || iw_end(w, e) ? -1 : 0;
}

/* Process k's filters, every record checked; none in a file without the section. */
int snapshot_read_seccomp(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	const struct cryo_section_entry *sec = ir_find(r, CRYO_SEC_SECCOMP, k);
	void *buf;
	if (!sec)
		return 0;
	if (ir_load(r, sec, &buf, e))
		return -1;
	if (seccomp_check_records(buf, sec->length, s)) {
		free(buf);
		return cryo_fail(e, 0, "context file", "", 0, "context file %s is corrupt: seccomp filters of process %d", r->path, k);
	}
	s->seccomp = buf;
	s->seccomp_len = sec->length;
	return 0;
}

static int read_one(struct image_reader *r, struct snapshot *s, int k, int thread_base, struct cryo_error *e)
{
	memset(s, 0, sizeof(*s));
	if ((k == 0 && read_info(r, s, e)) || read_process(r, s, k, e) || read_threads(r, s, thread_base, e) ||
	    read_vmas(r, s, k, e) || read_fds(r, s, k, e) || read_pagemap(r, s, k, e) ||
	    cow_read_ranges(r, s, k, e) || process_sections_read(r, s, k, e))
		return -1;
	return 0;
}

int tree_is_root(const struct tree *t, const struct snapshot *s)
{
	return tree_find(t, s->proc.ppid) == NULL;
}

struct snapshot *tree_find(const struct tree *t, pid_t pid)
{
	for (int i = 0; i < t->nr; i++)
		if (t->procs[i].proc.pid == pid)
			return &t->procs[i];
	return NULL;
}

/* A record its kind finds unsound: the pipe or socket it names is not in the file, ... */
static int fd_unsound(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	const struct fd_ops *ops = fd_ops_of(f->r.kind);
	return ops->validate && ops->validate(t, s, f);
}

/* Every non-root process's parent comes before it; every pipe end is known. */
static int check_tree(struct image_reader *r, const struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr; i++) {
		const struct snapshot *s = &t->procs[i];
		const struct snapshot *parent = tree_find(t, s->proc.ppid);
		if ((parent && (parent >= s || parent->proc.state == CRYO_PROCESS_ZOMBIE)) ||
		    (!parent && s->proc.state == CRYO_PROCESS_ZOMBIE) || (i == 0 && parent))
			return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: process %d comes before its parent",
					 r->path, s->proc.pid);
		if (tree_find(t, s->proc.pid) != s)
			return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: PID %d twice", r->path, s->proc.pid);
		for (int f = 0; f < s->nr_fds; f++)
			if (fd_unsound(t, s, &s->fds[f]))
				return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: fd %d of process %d",
						 r->path, s->fds[f].r.fd, s->proc.pid);
	}
	return 0;
}

static int need_shmem(struct tree *t, uint64_t dev, uint64_t ino, uint64_t need, struct cryo_error *e)
{
	int j = 0;
	while (j < t->nr_shmem && (t->shmem[j].ino != ino || t->shmem[j].dev != dev))
		j++;
	if (j == t->nr_shmem) {
		struct shmem_obj *grown = realloc(t->shmem, (size_t)(j + 1) * sizeof(*grown));
		if (!grown)
			return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		t->shmem = grown;
		t->shmem[t->nr_shmem++] = (struct shmem_obj){ dev, ino, 0 };
	}
	if (need > t->shmem[j].size)
		t->shmem[j].size = need;
	return 0;
}

/* The shared memory objects the tree's mappings and descriptors name. */
static int collect_shmem(struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_shmem_files; i++)
		if (!(t->shmem_files[i].r.flags & CRYO_SHMEM_RECREATE) &&   /* that one is a file again: files.c */
		    need_shmem(t, t->shmem_files[i].r.dev, t->shmem_files[i].r.ino, t->shmem_files[i].r.size, e))
			return -1;
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_vmas; i++) {
			const struct cryo_vma *v = &t->procs[k].vmas[i].r;
			/* a deleted file keeps its size: its mappings may reach past its end */
			if (v->kind == CRYO_VMA_ANON_SHARED && !(v->flags & CRYO_VMA_FILE_GONE) &&
			    need_shmem(t, v->file.dev, v->file.ino, v->pgoff + (v->end - v->start), e))
				return -1;
		}
	return 0;
}

void tree_free_shmem_files(struct tree *t)
{
	free(t->shmem);
	for (int i = 0; i < t->nr_shmem_files; i++) {
		free(t->shmem_files[i].contents);
		free(t->shmem_files[i].extents);
		free(t->shmem_files[i].path);
	}
	free(t->shmem_files);
}

void tree_free_sysv_sem(struct tree *t)
{
	for (int i = 0; i < t->nr_sysv_sem; i++)
		free(t->sysv_sem[i].values);
	free(t->sysv_sem);
}

void tree_free_sysv_msg(struct tree *t)
{
	for (int i = 0; i < t->nr_sysv_msg; i++)
		free(t->sysv_msg[i].messages);
	free(t->sysv_msg);
}

int tree_write_ttys(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_ttys; i++) {
		size_t at = rb_begin(&b, &t->ttys[i], sizeof(t->ttys[i]));
		if (t->ttys[i].input_len + t->ttys[i].output_len && t->tty_input && t->tty_input[i])
			rb_put(&b, t->tty_input[i], (size_t)t->ttys[i].input_len + t->ttys[i].output_len);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_TTYS, &b, e);
}

static int tty_pair_twice(const struct tree *t, const struct cryo_tty *r)
{
	for (int i = 0; i < t->nr_ttys; i++)
		if (!((t->ttys[i].flags | r->flags) & CRYO_TTY_OUTSIDE) && t->ttys[i].index == r->index)
			return 1;
	return 0;
}

int tree_read_ttys(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_TTYS, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct cryo_tty p;
		memset(&p, 0, sizeof(p));
		if (enter_record(&c, &rec, &p, CRYO_TTY_V1_SIZE, "tty record"))
			break;
		if (p.record_size > CRYO_TTY_V1_SIZE && take(&rec, (char *)&p + CRYO_TTY_V1_SIZE, sizeof(p) - CRYO_TTY_V1_SIZE, "tty record"))
			break;
		size_t data_len = (size_t)p.input_len + p.output_len;
		uint32_t stop = p.flags & (CRYO_TTY_STOPPED | CRYO_TTY_TCOOFF);
		if (p.flags & ~(CRYO_TTY_LOCKED | CRYO_TTY_PACKET | CRYO_TTY_OUTSIDE | CRYO_TTY_STOPPED | CRYO_TTY_TCOOFF) ||
		    stop == (CRYO_TTY_STOPPED | CRYO_TTY_TCOOFF) || (stop && p.flags & (CRYO_TTY_OUTSIDE | CRYO_TTY_PACKET)) ||
		    p.index >= (1u << 20) ||
		    tty_pair_twice(t, &p) || p.input_len >= CRYO_TTY_MAX_INPUT || p.output_len > CRYO_TTY_MAX_OUTPUT ||
		    p.reserved || data_len > remaining(&rec) || (data_len && p.flags & CRYO_TTY_OUTSIDE)) {
			bad(&c, "tty record");
			break;
		}
		char *input = data_len ? malloc(data_len) : NULL;
		struct cryo_tty *grown = realloc(t->ttys, (size_t)(t->nr_ttys + 1) * sizeof(*grown));
		if (grown)
			t->ttys = grown;
		char **inputs = grown ? realloc(t->tty_input, (size_t)(t->nr_ttys + 1) * sizeof(*inputs)) : NULL;
		if (inputs)
			t->tty_input = inputs;
		if (!inputs || (data_len && !input)) {
			free(input);
			bad(&c, "out of memory");
			break;
		}
		if (input)
			memcpy(input, rec.p, data_len);
		p.record_size = sizeof(p);
		t->tty_input[t->nr_ttys] = input;
		t->ttys[t->nr_ttys++] = p;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

void tree_free_ttys(struct tree *t)
{
	for (int i = 0; t->tty_input && i < t->nr_ttys; i++)
		free(t->tty_input[i]);
	free(t->tty_input);
	t->tty_input = NULL;
	free(t->ttys);
	t->ttys = NULL;
	t->nr_ttys = 0;
}

void tree_free_tcp(struct tree *t)
{
	for (int i = 0; i < t->nr_tcp; i++) {
		free(t->tcp[i].send);
		free(t->tcp[i].recv);
	}
	free(t->tcp);
}

void tree_free_sysv_shm(struct tree *t)
{
	for (int i = 0; i < t->nr_sysv_shm; i++)
		free(t->sysv_shm[i].contents);
	free(t->sysv_shm);
}

void tree_free_socketpairs(struct tree *t)
{
	for (int i = 0; i < t->nr_socketpairs; i++) {
		free(t->socketpairs[i].queued[0]);
		free(t->socketpairs[i].queued[1]);
	}
	free(t->socketpairs);
}

void tree_free_pipes(struct tree *t)
{
	for (int i = 0; i < t->nr_pipes; i++) {
		free(t->pipes[i].data);
		free(t->pipes[i].fifo_path);
	}
	free(t->pipes);
}

void tree_free(struct tree *t)
{
	resources_free(t);
	for (int i = 0; i < t->nr; i++)
		snapshot_free(&t->procs[i]);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}

int tree_read(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	int nr = 0, thread_base = 0;
	memset(t, 0, sizeof(*t));
	while (ir_find(r, CRYO_SEC_PROCESS, nr))
		nr++;
	if (nr == 0 || nr > 65536)
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: %d processes", r->path, nr);
	t->procs = calloc((size_t)nr, sizeof(*t->procs));
	if (!t->procs)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	for (int k = 0; k < nr; k++) {
		t->nr = k + 1;
		if (read_one(r, &t->procs[k], k, thread_base, e)) {
			tree_free(t);
			return -1;
		}
		thread_base += (int)t->procs[k].proc.nr_threads;
	}
	if (resources_read(r, t, e) || check_tree(r, t, e) || cow_check_tree(r, t, e) ||
	    collect_shmem(t, e)) {
		tree_free(t);
		return -1;
	}
	return 0;
}

/* ---- the options of the pool's sockets (inet.c) ---- */

int tree_write_pool_sockopts(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	struct rec_buf b = {0};
	for (int i = 0; i < t->nr_pool_sockopts; i++) {
		const struct pool_sockopts_rec *p = &t->pool_sockopts[i];
		size_t at = rb_begin(&b, &p->r, sizeof(p->r));
		rb_put(&b, p->opts, p->len);
		rb_pad8(&b);
		rb_finish(&b, at);
	}
	return write_section(w, CRYO_SEC_SOCKOPTS, &b, e);
}

int tree_read_pool_sockopts(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	void *buf;
	struct cursor c;
	int rc = load_section(r, CRYO_SEC_SOCKOPTS, 0, &buf, &c, 0, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	while (!c.bad && remaining(&c)) {
		struct cursor rec = {0};
		struct pool_sockopts_rec p = {0};
		if (enter_record(&c, &rec, &p.r, sizeof(p.r), "socket options record"))
			break;
		p.len = remaining(&rec);
		struct cryo_error why;
		if (inet_check_options(rec.p, p.len, 0, -1, &why)) {
			bad(&c, "socket options");
			break;
		}
		struct pool_sockopts_rec *grown = realloc(t->pool_sockopts, (size_t)(t->nr_pool_sockopts + 1) * sizeof(*grown));
		if (!grown || !(p.opts = malloc(p.len + 1))) {
			if (grown)
				t->pool_sockopts = grown;
			bad(&c, "out of memory");
			break;
		}
		t->pool_sockopts = grown;
		memcpy(p.opts, rec.p, p.len);
		t->pool_sockopts[t->nr_pool_sockopts++] = p;
	}
	free(buf);
	return c.bad ? -1 : 0;
}

void tree_free_pool_sockopts(struct tree *t)
{
	for (int i = 0; i < t->nr_pool_sockopts; i++)
		free(t->pool_sockopts[i].opts);
	free(t->pool_sockopts);
}
