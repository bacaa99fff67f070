/* lazy.h: the page server of cr_restart --lazy. */
#include "lazy.h"
#include "uffdfill.h"
#include "error.h"
#include "mapguard.h"
#include "memory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define PAGE          CRYO_PAGE_SIZE
#define WINDOW        (4UL << 20)      /* prefetch: one read, one UFFDIO_COPY per run piece */
#define PLACED        (16UL << 20)     /* the read-ahead's windows are placed this much at a time (faults wait meanwhile) */
#define PIECE         (1UL << 20)      /* what each of the two copying threads takes of a window at a time */
#define AHEAD         3                /* windows the read-ahead thread may have read before they are placed */
#define AHEAD_WINDOW  (16UL << 20)     /* its reads: 16 MiB ones went at 1.2x the speed of 4 MiB ones on the
					* development VM's disk (O_DIRECT, dd, same minutes) */
#define MAX_SOURCES   256
#define MAX_CTX       1024
#define UFFD_EVENTS   (UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE | \
		       UFFD_FEATURE_EVENT_UNMAP)
#define RES           "lazy pages"

/* A lazily served mapping, by its image address. */
struct lvma { uint64_t start, end; };

/* What one restored process's pages are served from (its image's). */
struct source {
	pid_t pid;
	struct cryo_page_run *runs;
	size_t nr_runs;
	uint64_t pages_off, pages_len;         /* the PAGES payload in the file */
	uint64_t *sums;
	uint64_t nr_sums;
	uint32_t block;
	struct lvma *vmas;
	int nr_vmas;
};

/* Image addresses [img, img + len) are at cur in the process now (mremap moves them). */
struct range { uint64_t cur, img, len; };

/* One userfaultfd: a restored process, or a child it forked while served. */
struct ctx {
	int uffd;
	int pidfd;                  /* a restored process's: its end ends the serving (-1: a child forked since) */
	struct source *src;
	struct range *ranges;
	int nr_ranges, cap_ranges;
	uint8_t **removed;          /* per src vma, per page: discarded by the process (zero from now on) */
	size_t next_run;            /* prefetch cursor */
	uint64_t run_off;
	int done;                   /* prefetched (or its process is gone) */
};

/* A data window of the PAGES payload, every block in it checked: its bytes at data, which is
 * buf (read into it) or the file's mapping.  unchecked: the prefetch's mapped windows, whose
 * blocks each copier checks in its part of the window just before copying it (place_span),
 * so that the checking takes the two CPUs the copying takes, not a third thread's. */
struct window { char *buf; size_t cap; const struct source *src; uint64_t lo, hi; const char *data; int unchecked; };

struct pending { struct ctx *c; uint64_t addr; };

struct data_error { int err; uint64_t at; int mismatch; };

struct ctx;
struct window;
struct copier {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int started, stop, busy, rc;
	struct data_error de;       /* rc BAD: the block that failed */
	struct ctx *c;
	const struct window *w;
	uint64_t next, end, step;   /* the window's pieces not taken yet, and their size */
};

/* The prefetch's reading, ahead of its copying: a thread reads (and checks)
 * the PAGES payload of every source, in order, a window at a time. */
struct ahead {
	struct window win[AHEAD];
	int state[AHEAD];           /* 0 free, 1 read, 2 failed (err) */
	int src_of[AHEAD];
	struct data_error err[AHEAD];
	int head, tail;             /* the reader fills head, the server takes tail */
	uint64_t placed;            /* bytes of the tail window copied in so far */
	int finished, stop, started;
	int nr_src;                 /* the sources at the release */
	int efd;                    /* an eventfd: a window is ready (the server polls it) */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

struct lazy {
	int fd;                     /* the context file, for page data */
	struct cryo_file_map map;   /* or, in the page cache, the whole file mapped (base NULL: not) */
	const char *path;
	char path_buf[4200];
	int min_fd;
	int guard_sock;
	pid_t guard;
	int ctl[2];                 /* the restorer tells the server: 'g' go (prefetch), 'q' quit */
	struct source *src[MAX_SOURCES];
	int nr_src;
	struct source *planning;    /* the process lazy_plan planned last */
	struct ctx *ctx[MAX_CTX];
	int nr_ctx;
	struct pending *pend;
	int nr_pend, cap_pend;
	pthread_t thread;
	pthread_mutex_t lock;       /* the contexts, between the server and the restorer adding one */
	int started, released, failed;
	struct window fault_win, fetch_win;
	struct ahead ahead;
	struct copier copier;
	struct timespec t0;         /* the tree runs */
	long delay_ms;
	double read_ms, copy_ms;    /* CRYO_TIMING: where the prefetch's time went */              /* CRYO_LAZY_PREFETCH_DELAY_MS: the prefetch waits (tests: pages on touch only until then) */
};

/* ---- small helpers ---- */

/* Out of the way of the descriptor pool (pipes.h) and of close_pool's close_range. */
static int move_high(struct lazy *lz, int fd)
{
	if (fd < 0 || fd >= lz->min_fd)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, lz->min_fd);
	close(fd);
	return high;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cryo: %s\n", line);
	openlog("cryo", LOG_PID, LOG_USER);
	syslog(LOG_ERR, "%s", line);
}

/* SIGKILL to pid and every descendant it has now (its children lists, thread by thread). */
static void kill_tree(pid_t pid)
{
	char path[64];
	kill(pid, SIGSTOP);         /* no new children while we look */
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		char cpath[320];
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", pid, de->d_name);
		FILE *f = fopen(cpath, "re");
		int child;
		while (f && fscanf(f, "%d", &child) == 1)
			if (child > 0)
				kill_tree(child);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	kill(pid, SIGKILL);
}

/* ---- the guard: kills the served processes if the server dies ---- */

enum { GUARD_PROCESS = 'p', GUARD_FD = 'f', GUARD_DONE = 'd' };

struct guard_msg { char kind; pid_t pid; };

static void guard_main(int sock)
{
	pid_t pids[MAX_SOURCES];
	int n = 0;
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (dup2(sock, 3) != 3)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
	setsid();                   /* no member of the job's session (batch systems track jobs by it) */
	for (;;) {
		struct guard_msg m;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &m, sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t got = recvmsg(3, &mh, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;              /* the server died without saying it was done */
		if (m.kind == GUARD_DONE)
			_exit(0);
		if (m.kind == GUARD_PROCESS && n < MAX_SOURCES)
			pids[n++] = m.pid;
		/* a descriptor received stays open: the userfaultfd stays registered, so the
		 * process waits on an unserved page instead of getting a zero page */
	}
	for (int i = 0; i < n; i++)
		kill_tree(pids[i]);
	_exit(0);
}

static int start_guard(struct lazy *lz, struct cryo_error *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cryo_fail_errno(e, 0, RES, "socketpair", "cannot start the lazy restart's guard");
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return cryo_fail_errno(e, 0, RES, "fork", "cannot start the lazy restart's guard");
	}
	if (pid == 0) {
		close(sv[0]);
		guard_main(sv[1]);
	}
	close(sv[1]);
	lz->guard = pid;
	lz->guard_sock = move_high(lz, sv[0]);
	return lz->guard_sock < 0 ? cryo_fail_errno(e, 0, RES, "fcntl", "cannot move a descriptor") : 0;
}

static void tell_guard(struct lazy *lz, char kind, pid_t pid, int fd)
{
	struct guard_msg m = { kind, pid };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(lz->guard_sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void stop_guard(struct lazy *lz)
{
	if (lz->guard <= 0)
		return;
	tell_guard(lz, GUARD_DONE, 0, -1);
	close(lz->guard_sock);
	lz->guard_sock = -1;
	/* our child: reaped by the restorer's own wait for its children (cr_restart waits for all) */
	lz->guard = 0;
}

/* ---- page data, block by block, each checked against PAGE_SUMS ---- */

static int read_all(int fd, char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return ENODATA;     /* the file was truncated */
		buf += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}


/* Each block of a window's data against its sum: the part of window_load that reads the
 * file's bytes (under the SIGBUS guard when they are mapped). */
struct block_check { const struct source *src; uint64_t lo, hi, bad; int mismatch; };

static void check_blocks(void *arg, const void *data, size_t len)
{
	struct block_check *k = arg;
	uint64_t b = k->src->block;
	(void)len;                  /* hi - lo */
	for (uint64_t at = k->lo; at < k->hi; at += b) {
		uint64_t n = k->hi - at < b ? k->hi - at : b;
		if (XXH3_64bits((const char *)data + (at - k->lo), (size_t)n) != k->src->sums[at / b]) {
			k->bad = at;
			k->mismatch = 1;
			return;
		}
	}
}

/* The blocks of w's data [lo, hi) (lo a block's start) against their sums, in the mapping, guarded. */
static int check_span(const struct window *w, uint64_t lo, uint64_t hi, struct data_error *de)
{
	struct block_check k = { w->src, lo, hi, 0, 0 };
	if (cryo_guarded_read(w->data + (lo - w->lo), (size_t)(hi - lo), check_blocks, &k))
		return de->err = ENODATA, de->at = lo, de->mismatch = 0, -1;
	if (k.mismatch)
		return de->err = EBADMSG, de->at = k.bad, de->mismatch = 1, -1;
	return 0;
}

/* Payload bytes [lo, hi) of src into w, whole blocks (hi is rounded up): read into its
 * buffer, or, the file mapped, where they are mapped (a file cut short faults: EFAULT,
 * reported as the truncation it is).  Mapped and defer_check: the blocks are left for
 * the copiers to check (w->unchecked). */
static int window_load(struct lazy *lz, struct window *w, const struct source *src, uint64_t lo, uint64_t hi,
		       int defer_check, struct data_error *de)
{
	uint64_t b = src->block;
	lo -= lo % b;
	hi = hi % b ? hi + b - hi % b : hi;
	if (hi > src->pages_len)
		hi = src->pages_len;
	if (w->src == src && lo >= w->lo && hi <= w->hi)
		return 0;
	if (hi - lo > w->cap)
		return de->err = E2BIG, de->at = lo, -1;
	w->src = NULL;
	uint64_t off = src->pages_off + lo;
	int mapped = lz->map.base && off >= lz->map.off && off + (hi - lo) <= lz->map.off + lz->map.len;
	const char *data = mapped ? lz->map.base + (off - lz->map.off) : w->buf;
	struct block_check k = { src, lo, hi, 0, 0 };
	size_t n = (size_t)(hi - lo);
	int err = mapped ? cryo_populate_read(data, n) : read_all(lz->fd, w->buf, n, off);
	if (!err && !mapped)
		cryo_drop_cached(lz->fd, off, n);       /* in the window now */
	int defer = mapped && defer_check;
	if (!err && !defer)
		err = mapped ? cryo_guarded_read(data, n, check_blocks, &k) : (check_blocks(&k, data, n), 0);
	if (err)
		return de->err = err == EFAULT ? ENODATA : err, de->at = lo, de->mismatch = 0, -1;
	if (k.mismatch)
		return de->err = EBADMSG, de->at = k.bad, de->mismatch = 1, -1;
	w->src = src;
	w->lo = lo;
	w->hi = hi;
	w->data = data;
	w->unchecked = defer;
	return 0;
}

static int window_init(struct window *w, size_t cap)
{
	w->buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->cap = cap;
	w->src = NULL;
	return w->buf == MAP_FAILED ? -1 : 0;
}

/* ---- planning: which mappings go lazily ---- */

static int vma_goes_lazily(const struct vma_rec *v)
{
	const struct cryo_vma *m = &v->r;
	/* UFFDIO_COPY gives 4 KiB pages: a mapping that asked for huge pages comes back eagerly, in huge ones */
	return m->kind == CRYO_VMA_ANON_PRIVATE && (m->prot & PROT_WRITE) &&
	       !(m->flags & (CRYO_VMA_INHERITED | CRYO_VMA_GROWSDOWN | CRYO_VMA_DROPPABLE | CRYO_VMA_HUGEPAGE));
}

static int has_saved_pages(const struct snapshot *s, const struct vma_rec *v)
{
	for (size_t i = 0; i < s->nr_runs; i++)
		if (s->runs[i].vaddr >= v->r.start && s->runs[i].vaddr < v->r.end)
			return 1;
	return 0;
}

static void free_source(struct source *src)
{
	if (!src)
		return;
	free(src->runs);
	free(src->sums);
	free(src->vmas);
	free(src);
}

/* PAGE_SUMS of process k, checked against its PAGES section. */
static int load_sums(struct image_reader *r, const struct snapshot *s, int k, struct source *src, struct cryo_error *e)
{
	const struct cryo_section_entry *sec = ir_find(r, CRYO_SEC_PAGE_SUMS, k);
	void *buf;
	if (!sec)
		return 1;
	if (ir_load(r, sec, &buf, e))
		return -1;
	struct cryo_page_sums h;
	uint64_t len = sec->length;
	if (len >= sizeof(h))
		memcpy(&h, buf, sizeof(h));
	uint64_t want = len >= sizeof(h) && h.block_size ? (s->pages->length + h.block_size - 1) / h.block_size : 0;
	if (len < sizeof(h) || h.block_size < PAGE || h.block_size > (4u << 20) || (h.block_size & (h.block_size - 1)) ||
	    h.nr_blocks != want || len != sizeof(h) + want * 8) {
		free(buf);
		return cryo_fail(e, 0, "context file", "", EINVAL, "context file %s is corrupt: bad page checksums of process %d",
				 r->path, s->proc.pid);
	}
	src->sums = malloc(want ? want * 8 : 8);
	if (!src->sums) {
		free(buf);
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	}
	memcpy(src->sums, (char *)buf + sizeof(h), want * 8);
	src->nr_sums = want;
	src->block = h.block_size;
	free(buf);
	return 0;
}

int lazy_plan(struct lazy *lz, struct image_reader *r, const struct snapshot *s, int k, int *lazy_vmas,
	      struct cryo_error *e)
{
	*lazy_vmas = 0;
	free_source(lz->planning);      /* planned, never registered: its restore failed */
	lz->planning = NULL;
	if (lz->nr_src == MAX_SOURCES || !s->pages)
		return 0;
	if (s->pages->flags & CRYO_PAGES_BLOCKS)
		return cryo_fail(e, s->proc.pid, "context file", "", EINVAL,
				 "%s holds compressed page data (cr_checkpoint --compress): a lazy restart cannot serve it, restart without --lazy",
				 r->path);
	struct source *src = calloc(1, sizeof(*src));
	if (!src)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	int rc = load_sums(r, s, k, src, e);
	if (rc) {
		free_source(src);
		return rc < 0 ? -1 : 0;      /* no PAGE_SUMS (an older file): eager */
	}
	src->vmas = calloc((size_t)s->nr_vmas + 1, sizeof(*src->vmas));
	src->runs = malloc((s->nr_runs + 1) * sizeof(*src->runs));
	if (!src->vmas || !src->runs) {
		free_source(src);
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	}
	for (int i = 0; i < s->nr_vmas; i++)
		if (vma_goes_lazily(&s->vmas[i]) && has_saved_pages(s, &s->vmas[i]))
			src->vmas[src->nr_vmas++] = (struct lvma){ s->vmas[i].r.start, s->vmas[i].r.end };
	if (!src->nr_vmas) {
		free_source(src);
		return 0;
	}
	memcpy(src->runs, s->runs, s->nr_runs * sizeof(*src->runs));
	src->nr_runs = s->nr_runs;
	src->pages_off = s->pages->offset;
	src->pages_len = s->pages->length;
	lz->planning = src;
	*lazy_vmas = src->nr_vmas;
	return 0;
}

static int lvma_index(const struct source *src, uint64_t addr)
{
	for (int i = 0; i < src->nr_vmas; i++)
		if (addr >= src->vmas[i].start && addr < src->vmas[i].end)
			return i;
	return -1;
}

int lazy_vma(const struct lazy *lz, const struct vma_rec *v)
{
	return lz && lz->planning && lvma_index(lz->planning, v->r.start) >= 0;
}

/* ---- contexts ---- */

static void free_ctx(struct ctx *c)
{
	if (!c)
		return;
	if (c->uffd >= 0)
		close(c->uffd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	for (int i = 0; c->removed && i < c->src->nr_vmas; i++)
		free(c->removed[i]);
	free(c->removed);
	free(c->ranges);
	free(c);
}

static struct ctx *new_ctx(struct source *src, int uffd, const struct ctx *parent)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->uffd = uffd;
	c->pidfd = -1;
	c->src = src;
	c->removed = calloc((size_t)src->nr_vmas, sizeof(*c->removed));
	int n = parent ? parent->nr_ranges : src->nr_vmas;
	c->cap_ranges = n + 8;
	c->ranges = calloc((size_t)c->cap_ranges, sizeof(*c->ranges));
	if (!c->removed || !c->ranges) {
		c->uffd = -1;
		free_ctx(c);
		return NULL;
	}
	for (int i = 0; i < src->nr_vmas; i++) {
		size_t bytes = (size_t)((src->vmas[i].end - src->vmas[i].start) / PAGE + 7) / 8;
		if (!(c->removed[i] = calloc(bytes, 1))) {
			c->uffd = -1;
			free_ctx(c);
			return NULL;
		}
		if (parent)     /* what the parent discarded before the fork is zero in the child too */
			memcpy(c->removed[i], parent->removed[i], bytes);
	}
	if (parent) {
		memcpy(c->ranges, parent->ranges, (size_t)n * sizeof(*c->ranges));
	} else {
		for (int i = 0; i < n; i++)
			c->ranges[i] = (struct range){ src->vmas[i].start, src->vmas[i].start, src->vmas[i].end - src->vmas[i].start };
	}
	c->nr_ranges = n;
	return c;
}

static int is_removed(const struct ctx *c, uint64_t img)
{
	int v = lvma_index(c->src, img);
	if (v < 0)
		return 1;
	uint64_t p = (img - c->src->vmas[v].start) / PAGE;
	return c->removed[v][p / 8] >> (p % 8) & 1;
}

/* Image pages of [img, img + len) discarded by the process. */
static void mark_removed(struct ctx *c, uint64_t img, uint64_t len)
{
	for (uint64_t a = img; a < img + len; a += PAGE) {
		int v = lvma_index(c->src, a);
		if (v < 0)
			continue;
		uint64_t p = (a - c->src->vmas[v].start) / PAGE;
		c->removed[v][p / 8] |= (uint8_t)(1u << (p % 8));
	}
}

static int add_range(struct ctx *c, struct range r)
{
	if (!r.len)
		return 0;
	if (c->nr_ranges == c->cap_ranges) {
		struct range *grown = realloc(c->ranges, (size_t)c->cap_ranges * 2 * sizeof(*grown));
		if (!grown)
			return -1;
		c->ranges = grown;
		c->cap_ranges *= 2;
	}
	c->ranges[c->nr_ranges++] = r;
	return 0;
}

/* Current addresses [from, from + len) now at to (to == 0: gone).  Ranges
 * split where they straddle an end. */
static int move_ranges(struct ctx *c, uint64_t from, uint64_t len, uint64_t to, int gone)
{
	uint64_t end = from + len;
	int n = c->nr_ranges;
	for (int i = 0; i < n; i++) {
		struct range r = c->ranges[i];
		uint64_t lo = r.cur > from ? r.cur : from, hi = r.cur + r.len < end ? r.cur + r.len : end;
		if (lo >= hi)
			continue;
		if (gone)
			mark_removed(c, r.img + (lo - r.cur), hi - lo);
		c->ranges[i].len = 0;
		if (add_range(c, (struct range){ r.cur, r.img, lo - r.cur }) ||
		    add_range(c, (struct range){ hi, r.img + (hi - r.cur), r.cur + r.len - hi }) ||
		    (!gone && add_range(c, (struct range){ to + (lo - from), r.img + (lo - r.cur), hi - lo })))
			return -1;
	}
	int w = 0;          /* drop the emptied ones */
	for (int i = 0; i < c->nr_ranges; i++)
		if (c->ranges[i].len)
			c->ranges[w++] = c->ranges[i];
	c->nr_ranges = w;
	return 0;
}

static const struct range *range_at_cur(const struct ctx *c, uint64_t cur)
{
	for (int i = 0; i < c->nr_ranges; i++)
		if (cur >= c->ranges[i].cur && cur < c->ranges[i].cur + c->ranges[i].len)
			return &c->ranges[i];
	return NULL;
}

/* The first run that ends past image address img. */
static size_t run_from(const struct source *src, uint64_t img)
{
	return memory_run_past(src->runs, src->nr_runs, img, 0);
}

/* ---- failing: the process dies rather than run with wrong memory ---- */

static void fail_pages(struct lazy *lz, const struct ctx *c, const struct data_error *de)
{
	const char *why = de->mismatch ? "does not match its checksum" :
			  de->err == ENODATA ? "is missing (the file was truncated)" : strerror(de->err);
	say("lazy restart of PID %d from %s: the page data at offset %llu of its pages %s: "
	    "the process is killed rather than given wrong memory",
	    c->src->pid, lz->path, (unsigned long long)de->at, why);
	for (int i = 0; i < lz->nr_src; i++)
		kill_tree(lz->src[i]->pid);
	lz->failed = 1;
}

/* ---- serving ---- */

/* FAULTED: a copy from the mapped file faulted, the file cut short after its blocks were checked;
 * BAD: a block of an unchecked window failed its check (or could not be read) */
enum { SERVED = 0, RETRY = 1, GONE = 2, FAULTED = 3, BAD = 4 };

/* The pages of window data at lo could not be copied: the file shrank under the mapping. */
static int copy_faulted(struct lazy *lz, const struct ctx *c, uint64_t lo)
{
	struct data_error de = { ENODATA, lo, 0 };
	fail_pages(lz, c, &de);
	return GONE;
}

static int copy_pages(struct ctx *c, uint64_t cur, const char *data, uint64_t len)
{
	while (len) {
		struct uffdio_copy cp = { .dst = cur, .src = (uint64_t)data, .len = len };
		if (ioctl(c->uffd, UFFDIO_COPY, &cp) == 0)
			return SERVED;
		int err = errno;
		uint64_t done = cp.copy > 0 ? (uint64_t)cp.copy : 0;
		if (err == ESRCH)
			return GONE;
		if (err == EFAULT)
			return FAULTED;
		if (err == EAGAIN && !done)
			return RETRY;       /* an event is pending (fork, remap, remove): read it first */
		if (err == EEXIST)
			done += PAGE;       /* that page is there already: the rest still goes */
		else if (err != EAGAIN)
			return SERVED;      /* unmapped meanwhile (ENOENT): its event follows */
		if (done >= len)
			return SERVED;
		cur += done;
		data += done;
		len -= done;
	}
	return SERVED;
}

static int zero_page(struct ctx *c, uint64_t cur)
{
	struct uffdio_zeropage z = { .range = { cur, PAGE } };
	if (ioctl(c->uffd, UFFDIO_ZEROPAGE, &z) == 0 || errno == EEXIST || errno == ENOENT)
		return SERVED;
	return errno == EAGAIN ? RETRY : errno == ESRCH ? GONE : SERVED;
}

static void wake(struct ctx *c, uint64_t cur)
{
	struct uffdio_range r = { cur, PAGE };
	ioctl(c->uffd, UFFDIO_WAKE, &r);
}

/* Image bytes [img, img + len) of run run (within it, within one window's
 * data) to where they are now, skipping pages the process discarded. */
static int place(struct ctx *c, const struct window *w, const struct cryo_page_run *run, uint64_t img, uint64_t len)
{
	uint64_t end = img + len;
	while (img < end) {
		const struct range *r = NULL;
		for (int i = 0; i < c->nr_ranges && !r; i++)
			if (img >= c->ranges[i].img && img < c->ranges[i].img + c->ranges[i].len)
				r = &c->ranges[i];
		if (!r) {           /* not mapped at the moment: to the next range's start, if any */
			uint64_t next = end;
			for (int i = 0; i < c->nr_ranges; i++)
				if (c->ranges[i].img > img && c->ranges[i].img < next)
					next = c->ranges[i].img;
			img = next;
			continue;
		}
		uint64_t piece_end = r->img + r->len < end ? r->img + r->len : end;
		/* the longest stretch not discarded */
		uint64_t a = img;
		while (a < piece_end && is_removed(c, a))
			a += PAGE;
		uint64_t b = a;
		while (b < piece_end && !is_removed(c, b))
			b += PAGE;
		if (a < b) {
			const char *data = w->data + (run->data_offset + (a - run->vaddr) - w->lo);
			int rc = copy_pages(c, r->cur + (a - r->img), data, b - a);
			if (rc != SERVED)
				return rc;
		}
		img = b > a ? b : a;
	}
	return SERVED;
}

static int serve_fault(struct lazy *lz, struct ctx *c, uint64_t addr)
{
	uint64_t cur = addr & ~(uint64_t)(PAGE - 1);
	const struct range *r = range_at_cur(c, cur);
	if (!r)
		return zero_page(c, cur);       /* memory the process added since: zero, as the kernel would */
	uint64_t img = r->img + (cur - r->cur);
	if (is_removed(c, img))
		return zero_page(c, cur);
	const struct source *src = c->src;
	size_t i = run_from(src, img);
	if (i == src->nr_runs || src->runs[i].vaddr > img)
		return zero_page(c, cur);       /* a page the image has as zero */
	const struct cryo_page_run *run = &src->runs[i];
	uint64_t d = run->data_offset + (img - run->vaddr), b = src->block;
	uint64_t lo = d - d % b, hi = lo + b;
	uint64_t run_lo = run->data_offset, run_hi = run->data_offset + run->nr_pages * PAGE;
	lo = lo > run_lo ? lo : run_lo;
	hi = hi < run_hi ? hi : run_hi;
	struct data_error de = {0};
	if (window_load(lz, &lz->fault_win, src, lo, hi, 0, &de)) {
		fail_pages(lz, c, &de);
		return GONE;
	}
	int rc = place(c, &lz->fault_win, run, run->vaddr + (lo - run_lo), hi - lo);
	if (rc == FAULTED)
		return copy_faulted(lz, c, lo);
	if (rc == SERVED)
		wake(c, cur);       /* in case its page was there already */
	return rc;
}

static void *read_ahead(void *arg)
{
	struct lazy *lz = arg;
	struct ahead *a = &lz->ahead;
	for (int si = 0; si < a->nr_src; si++) {
		const struct source *src = lz->src[si];
		for (uint64_t lo = 0; lo < src->pages_len; lo += AHEAD_WINDOW) {
			pthread_mutex_lock(&a->lock);
			while (a->state[a->head] && !a->stop)
				pthread_cond_wait(&a->changed, &a->lock);
			int slot = a->head, stop = a->stop;
			pthread_mutex_unlock(&a->lock);
			if (stop)
				return NULL;
			uint64_t hi = lo + AHEAD_WINDOW < src->pages_len ? lo + AHEAD_WINDOW : src->pages_len;
			a->win[slot].src = NULL;
			struct data_error de = {0};
			int failed = window_load(lz, &a->win[slot], src, lo, hi, 1, &de) != 0;
			pthread_mutex_lock(&a->lock);
			a->err[slot] = de;
			a->src_of[slot] = si;
			a->state[slot] = failed ? 2 : 1;
			a->head = (slot + 1) % AHEAD;
			pthread_mutex_unlock(&a->lock);
			uint64_t one = 1;
			if (write(a->efd, &one, sizeof(one)) < 0) {
				/* an eventfd write fails only on overflow: the server is awake anyway */
			}
			if (failed)
				return NULL;        /* the server kills on it: nothing more to read */
		}
	}
	pthread_mutex_lock(&a->lock);
	a->finished = 1;
	pthread_mutex_unlock(&a->lock);
	uint64_t one = 1;
	if (write(a->efd, &one, sizeof(one)) < 0) {
		/* as above */
	}
	return NULL;
}

static int start_read_ahead(struct lazy *lz)
{
	struct ahead *a = &lz->ahead;
	a->nr_src = lz->nr_src;
	if (pthread_create(&a->thread, NULL, read_ahead, lz))
		return -1;
	a->started = 1;
	return 0;
}

static void stop_read_ahead(struct ahead *a)
{
	if (!a->started)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	a->started = 0;
}

/* A window ready for the server, or none will come. */
static int ahead_ready(struct ahead *a)
{
	pthread_mutex_lock(&a->lock);
	int ready = a->state[a->tail] || a->finished;
	pthread_mutex_unlock(&a->lock);
	return ready;
}

static void release_slot(struct ahead *a, int slot)
{
	pthread_mutex_lock(&a->lock);
	a->state[slot] = 0;
	a->tail = (slot + 1) % AHEAD;
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
}

static void drain(struct lazy *lz, struct ctx *c);

/* Every lazy page of w's data [lo, hi) into c, reading no event: RETRY when one must be read first
 * (then the span is done again: pages in already are skipped, pages discarded meanwhile too).
 * An unchecked window's blocks are checked first: BAD, with de, when one fails. */
static int place_span(struct ctx *c, const struct window *w, uint64_t lo, uint64_t hi, struct data_error *de)
{
	const struct source *src = c->src;
	int result = SERVED;
	if (w->unchecked && lo < hi && check_span(w, lo, hi, de))
		return BAD;
	for (size_t i = memory_run_past(src->runs, src->nr_runs, lo, 1);
	     i < src->nr_runs && src->runs[i].data_offset < hi; i++) {
		const struct cryo_page_run *run = &src->runs[i];
		if (lvma_index(src, run->vaddr) < 0)
			continue;
		uint64_t a = run->data_offset > lo ? run->data_offset : lo;
		uint64_t b = run->data_offset + run->nr_pages * PAGE;
		b = b < hi ? b : hi;
		int rc = place(c, w, run, run->vaddr + (a - run->data_offset), b - a);
		if (rc == GONE || rc == FAULTED)
			return rc;
		if (rc == RETRY)
			result = RETRY;
	}
	return result;
}

/* The worse of two outcomes of copying parts of one window (what the window's caller acts on). */
static int worse(int a, int b)
{
	static const int rank[] = { [SERVED] = 0, [RETRY] = 1, [GONE] = 2, [FAULTED] = 3, [BAD] = 4 };
	return rank[b] > rank[a] ? b : a;
}

/* The next piece of the window both threads copy from; under k->lock. */
static int take_piece(struct copier *k, uint64_t *lo, uint64_t *hi)
{
	if (k->next >= k->end)
		return 0;
	*lo = k->next;
	*hi = k->end - k->next > k->step ? k->next + k->step : k->end;
	k->next = *hi;
	return 1;
}

/* Pieces of the window until none is left; after a failure the rest is left alone. */
static int copy_pieces(struct copier *k, struct data_error *de)
{
	int rc = SERVED;
	uint64_t lo, hi;
	pthread_mutex_lock(&k->lock);
	while (take_piece(k, &lo, &hi)) {
		pthread_mutex_unlock(&k->lock);
		int r = place_span(k->c, k->w, lo, hi, de);
		pthread_mutex_lock(&k->lock);
		rc = worse(rc, r);
		if (r == BAD || r == GONE || r == FAULTED)
			k->next = k->end;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

/* The server's second pair of hands: the cost of UFFDIO_COPY (and of checking
 * the blocks first) is the kernel's page allocation, and two CPUs take it
 * twice as fast (as the two writers of an eager restore).  Both threads take
 * pieces of the same window until none is left, so neither waits for the
 * other to wake up or to finish a half of its own.  Nothing changes a context
 * while both copy: events are read by the server once both are done. */
static void *copier_loop(void *arg)
{
	struct copier *k = arg;
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->busy && !k->stop)
			pthread_cond_wait(&k->changed, &k->lock);
		if (k->stop)
			break;
		pthread_mutex_unlock(&k->lock);
		struct data_error de = {0};
		int rc = copy_pieces(k, &de);
		pthread_mutex_lock(&k->lock);
		k->rc = rc;
		if (rc == BAD)
			k->de = de;
		k->busy = 0;
		pthread_cond_broadcast(&k->changed);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static void start_copier(struct copier *k)
{
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->changed, NULL);
	k->started = pthread_create(&k->thread, NULL, copier_loop, k) == 0;
}

static void stop_copier(struct copier *k)
{
	if (!k->started)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = 1;
	pthread_cond_broadcast(&k->changed);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->changed);
	k->started = 0;
}

/* Every lazy page of w's data [lo, hi) into c, by both threads at once. */
static int place_window(struct lazy *lz, struct ctx *c, const struct window *w, uint64_t lo, uint64_t hi)
{
	struct copier *k = &lz->copier;
	uint64_t b = c->src->block;         /* a block is checked whole, by one of the two */
	pthread_mutex_lock(&k->lock);
	k->c = c;
	k->w = w;
	k->next = lo;
	k->end = hi;
	k->step = b >= PIECE ? b : PIECE / b * b;
	int two = k->started && hi - lo > k->step;
	if (two) {
		k->busy = 1;
		pthread_cond_broadcast(&k->changed);
	}
	pthread_mutex_unlock(&k->lock);
	struct data_error de = {0};
	int rc = copy_pieces(k, &de), other = SERVED;
	if (two) {
		pthread_mutex_lock(&k->lock);
		while (k->busy)
			pthread_cond_wait(&k->changed, &k->lock);
		other = k->rc;
		if (other == BAD && rc != BAD)
			de = k->de;
		pthread_mutex_unlock(&k->lock);
	}
	if (rc == BAD || other == BAD) {
		fail_pages(lz, c, &de);
		return GONE;
	}
	if (rc == FAULTED || other == FAULTED)
		return copy_faulted(lz, c, lo);
	if (rc == GONE || other == GONE)
		return GONE;
	if (rc == RETRY || other == RETRY)
		do
			drain(lz, c);       /* the event that made a copy wait, then the window again */
		while (!c->done && !lz->failed && (rc = place_span(c, w, lo, hi, &de)) == RETRY);
	if (rc == BAD) {
		fail_pages(lz, c, &de);
		return GONE;
	}
	if (rc == FAULTED)
		return copy_faulted(lz, c, lo);
	return rc == GONE || lz->failed ? GONE : SERVED;
}

/* The next window of the read-ahead into root context c (of source si); 1 when c is complete. */
static int prefetch_root(struct lazy *lz, struct ctx *c, int si)
{
	struct ahead *a = &lz->ahead;
	pthread_mutex_lock(&a->lock);
	int slot = a->tail, state = a->state[slot], finished = a->finished;
	pthread_mutex_unlock(&a->lock);
	if (!state)
		return finished;
	if (a->src_of[slot] > si)
		return 1;
	if (a->src_of[slot] < si) {         /* of a source whose process ended */
		release_slot(a, slot);
		return 0;
	}
	if (state == 2) {
		fail_pages(lz, c, &a->err[slot]);
		return 1;
	}
	/* PLACED bytes of it at a time: faults are served between two */
	const struct window *w = &a->win[slot];
	uint64_t lo = w->lo + a->placed, hi = lo + PLACED < w->hi ? lo + PLACED : w->hi;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = place_window(lz, c, w, lo, hi);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lz->copy_ms += (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (hi < w->hi && rc != GONE) {
		a->placed += hi - lo;
		return 0;
	}
	a->placed = 0;
	int last = w->hi >= c->src->pages_len;
	release_slot(a, slot);
	return rc == GONE || last;
}

/* One window of the prefetch of c (a child forked since: it reads for itself); 1 when c is complete. */
static int prefetch_step(struct lazy *lz, struct ctx *c)
{
	const struct source *src = c->src;
	while (c->next_run < src->nr_runs) {
		const struct cryo_page_run *run = &src->runs[c->next_run];
		uint64_t bytes = run->nr_pages * PAGE;
		if (c->run_off >= bytes || lvma_index(src, run->vaddr) < 0) {
			c->next_run++;
			c->run_off = 0;
			continue;
		}
		uint64_t lo = run->data_offset + c->run_off;
		uint64_t hi = (lo / WINDOW + 1) * WINDOW;
		if (hi > run->data_offset + bytes)
			hi = run->data_offset + bytes;
		struct data_error de = {0};
		struct timespec t0, t1, t2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (window_load(lz, &lz->fetch_win, src, lo, hi, 0, &de)) {
			fail_pages(lz, c, &de);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		int rc = place(c, &lz->fetch_win, run, run->vaddr + (lo - run->data_offset), hi - lo);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		lz->read_ms += (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		lz->copy_ms += (t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6;
		if (rc == RETRY)
			return 0;           /* an event first, then the same window again */
		if (rc == FAULTED)
			copy_faulted(lz, c, lo);
		if (rc == GONE || rc == FAULTED)
			return 1;
		c->run_off += hi - lo;
		return 0;
	}
	return 1;
}

static void add_pending(struct lazy *lz, struct ctx *c, uint64_t addr)
{
	if (lz->nr_pend == lz->cap_pend) {
		int cap = lz->cap_pend ? lz->cap_pend * 2 : 64;
		struct pending *grown = realloc(lz->pend, (size_t)cap * sizeof(*grown));
		if (!grown)
			return;     /* the thread stays blocked: the prefetch still brings its page */
		lz->pend = grown;
		lz->cap_pend = cap;
	}
	lz->pend[lz->nr_pend++] = (struct pending){ c, addr };
}

static void on_fork(struct lazy *lz, struct ctx *parent, int ufd)
{
	ufd = move_high(lz, ufd);
	struct ctx *c = lz->nr_ctx < MAX_CTX && ufd >= 0 ? new_ctx(parent->src, ufd, parent) : NULL;
	if (!c) {
		/* a child we cannot serve would get zero pages: it goes */
		say("lazy restart of PID %d: cannot serve the pages of a child it forked: the child is killed",
		    parent->src->pid);
		if (ufd >= 0)
			close(ufd);
		kill_tree(parent->src->pid);    /* the child is not known by PID: the tree goes */
		lz->failed = 1;
		return;
	}
	tell_guard(lz, GUARD_FD, 0, c->uffd);
	lz->ctx[lz->nr_ctx++] = c;
}

/* Every message waiting on c's userfaultfd. */
static void drain(struct lazy *lz, struct ctx *c)
{
	for (;;) {
		struct uffd_msg m[16];
		ssize_t n = read(c->uffd, m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->done = 1;
			return;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(m[0]); i++) {
			switch (m[i].event) {
			case UFFD_EVENT_PAGEFAULT:
				if (serve_fault(lz, c, m[i].arg.pagefault.address) == RETRY)
					add_pending(lz, c, m[i].arg.pagefault.address);
				break;
			case UFFD_EVENT_FORK:
				on_fork(lz, c, (int)m[i].arg.fork.ufd);
				break;
			case UFFD_EVENT_REMAP:
				move_ranges(c, m[i].arg.remap.from, m[i].arg.remap.len, m[i].arg.remap.to, 0);
				break;
			case UFFD_EVENT_REMOVE:
				for (uint64_t a = m[i].arg.remove.start; a < m[i].arg.remove.end; a += PAGE) {
					const struct range *r = range_at_cur(c, a);
					if (r)
						mark_removed(c, r->img + (a - r->cur), PAGE);
				}
				break;
			case UFFD_EVENT_UNMAP:
				move_ranges(c, m[i].arg.remove.start, m[i].arg.remove.end - m[i].arg.remove.start, 0, 1);
				break;
			}
			if (lz->failed)
				return;
		}
	}
}

static void retry_pending(struct lazy *lz)
{
	int n = lz->nr_pend;
	lz->nr_pend = 0;
	struct pending *p = lz->pend;
	for (int i = 0; i < n && !lz->failed; i++)
		if (!p[i].c->done && serve_fault(lz, p[i].c, p[i].addr) == RETRY)
			add_pending(lz, p[i].c, p[i].addr);
}

static int all_done(const struct lazy *lz)
{
	for (int i = 0; i < lz->nr_ctx; i++)
		if (!lz->ctx[i]->done)
			return 0;
	return 1;
}

static void free_lazy(struct lazy *lz)
{
	for (int i = 0; i < lz->nr_ctx; i++)
		free_ctx(lz->ctx[i]);
	for (int i = 0; i < lz->nr_src; i++)
		free_source(lz->src[i]);
	free_source(lz->planning);
	free(lz->pend);
	if (lz->fault_win.buf && lz->fault_win.buf != MAP_FAILED)
		munmap(lz->fault_win.buf, lz->fault_win.cap);
	if (lz->fetch_win.buf && lz->fetch_win.buf != MAP_FAILED)
		munmap(lz->fetch_win.buf, lz->fetch_win.cap);
	for (int i = 0; i < AHEAD; i++)
		if (lz->ahead.win[i].buf && lz->ahead.win[i].buf != MAP_FAILED)
			munmap(lz->ahead.win[i].buf, lz->ahead.win[i].cap);
	if (lz->ahead.efd >= 0)
		close(lz->ahead.efd);
	pthread_mutex_destroy(&lz->ahead.lock);
	pthread_cond_destroy(&lz->ahead.changed);
	if (lz->map.base)
		munmap(lz->map.base, lz->map.len);
	if (lz->fd >= 0)
		close(lz->fd);
	close(lz->ctl[0]);
	close(lz->ctl[1]);
	pthread_mutex_destroy(&lz->lock);
	free(lz);
}

/* CRYO_TIMING=1: when every page was in, on stderr */
static void say_complete(const struct lazy *lz)
{
	if (!getenv("CRYO_TIMING"))
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "cryo: lazy pages all in   %8.3f ms after the process ran (prefetch: read %.0f ms, copy %.0f ms;"
		" pages %s)\n", (now.tv_sec - lz->t0.tv_sec) * 1e3 + (now.tv_nsec - lz->t0.tv_nsec) / 1e6, lz->read_ms,
		lz->copy_ms, lz->map.base ? "mapped from the page cache" : "read");
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* How long poll may wait: forever before the go, not at all while prefetching. */
static int poll_timeout(struct lazy *lz)
{
	if (lz->nr_pend)
		return 1;
	if (!lz->released)
		return -1;
	if (all_done(lz))
		return 0;
	long left = lz->delay_ms - ms_since(&lz->t0);
	if (left > 0)
		return (int)(left < 1000 ? left : 1000);
	/* the read-ahead's eventfd wakes the server when a window is ready */
	return !lz->ahead.started || ahead_ready(&lz->ahead) || lz->nr_ctx > lz->ahead.nr_src ? 0 : -1;
}

static void *serve_loop(void *arg)
{
	struct lazy *lz = arg;
	/* the restorer's signals are its own (cr_restart relays them to the job); not SIGBUS: a
	 * fault in a guarded read of the mapped file must reach its handler (mapguard.h), where a
	 * blocked one would kill the restorer */
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd pf[2 * MAX_CTX + 2];
		pf[0] = (struct pollfd){ lz->ctl[0], POLLIN, 0 };
		pthread_mutex_lock(&lz->lock);
		int nfds = lz->nr_ctx, timeout = poll_timeout(lz);
		for (int i = 0; i < nfds; i++) {
			pf[i + 1] = (struct pollfd){ lz->ctx[i]->uffd, POLLIN, 0 };
			pf[nfds + i + 1] = (struct pollfd){ lz->ctx[i]->done ? -1 : lz->ctx[i]->pidfd, POLLIN, 0 };
		}
		pthread_mutex_unlock(&lz->lock);
		pf[2 * nfds + 1] = (struct pollfd){ lz->ahead.efd, POLLIN, 0 };
		if (poll(pf, (nfds_t)(2 * nfds + 2), timeout) < 0 && errno != EINTR)
			break;
		uint64_t ticks;
		if (pf[2 * nfds + 1].revents && read(lz->ahead.efd, &ticks, sizeof(ticks)) < 0) {
			/* nonblocking: nothing to reset */
		}
		if (pf[0].revents) {
			char cmd = 'q';
			if (read(lz->ctl[0], &cmd, 1) != 1 || cmd == 'q')
				break;
			if (cmd == 'g') {
				lz->released = 1;
				clock_gettime(CLOCK_MONOTONIC, &lz->t0);
				if (start_read_ahead(lz))
					lz->ahead.nr_src = 0;   /* no thread: every context reads for itself */
				start_copier(&lz->copier);
			}
		}
		pthread_mutex_lock(&lz->lock);
		for (int i = 0; i < nfds && !lz->failed; i++)
			if ((pf[i + 1].revents & (POLLERR | POLLHUP)) || pf[nfds + i + 1].revents)
				lz->ctx[i]->done = 1;       /* its process ended: nothing left to serve */
			else if (pf[i + 1].revents)
				drain(lz, lz->ctx[i]);
		retry_pending(lz);
		if (lz->released && !lz->failed && ms_since(&lz->t0) >= lz->delay_ms)
			for (int i = 0; i < lz->nr_ctx; i++)
				if (!lz->ctx[i]->done) {
					lz->ctx[i]->done = i < lz->ahead.nr_src ? prefetch_root(lz, lz->ctx[i], i)
										: prefetch_step(lz, lz->ctx[i]);
					break;
				}
		int finished = lz->failed || (lz->released && all_done(lz));
		if (finished && !lz->failed)
			say_complete(lz);
		pthread_mutex_unlock(&lz->lock);
		if (finished)
			break;
	}
	stop_read_ahead(&lz->ahead);
	stop_copier(&lz->copier);
	/* every page in (or the processes killed): the userfaultfds go, in the guard too */
	for (int i = 0; i < lz->nr_ctx; i++) {
		close(lz->ctx[i]->uffd);
		lz->ctx[i]->uffd = -1;
	}
	stop_guard(lz);
	if (lz->released)
		free_lazy(lz);      /* nobody else holds it now */
	return NULL;
}

/* ---- the restorer's side ---- */

int lazy_begin(struct lazy **out, struct image_reader *r, int min_fd, struct cryo_error *e)
{
	struct lazy *lz = calloc(1, sizeof(*lz));
	if (!lz)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	lz->min_fd = min_fd;
	pthread_mutex_init(&lz->ahead.lock, NULL);
	pthread_cond_init(&lz->ahead.changed, NULL);
	lz->ahead.efd = move_high(lz, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	const char *delay = getenv("CRYO_LAZY_PREFETCH_DELAY_MS");
	lz->delay_ms = delay ? strtol(delay, NULL, 10) : 0;
	pthread_mutex_init(&lz->lock, NULL);
	lz->fd = lz->guard_sock = lz->ctl[0] = lz->ctl[1] = -1;
	snprintf(lz->path_buf, sizeof(lz->path_buf), "%s", r->path);
	lz->path = lz->path_buf;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", r->fd);
	/* its own descriptor: the file may be unlinked meanwhile, the server still reads it.
	 * Buffered, as the engine reads page data (pagestream.h): right after a checkpoint the file
	 * is in the page cache, which O_DIRECT would pass by for the disk */
	int fd = open(self, O_RDONLY | O_CLOEXEC);
	lz->fd = move_high(lz, fd);
	if (lz->fd < 0 || pipe2(lz->ctl, O_CLOEXEC) < 0 || (lz->ctl[0] = move_high(lz, lz->ctl[0])) < 0 ||
	    (lz->ctl[1] = move_high(lz, lz->ctl[1])) < 0) {
		cryo_fail_errno(e, 0, RES, "open", "cannot set up the lazy restart of %s", r->path);
		free_lazy(lz);
		return -1;
	}
	/* cached and guarded (cr_restart): the pages go to the process from the mapping, one copy
	 * (UFFDIO_COPY) where reading them into the windows first made two; the blocks are still
	 * checked, in place, before any of their pages is copied */
	struct stat st;
	if (cryo_mapped_reads_guarded() && fstat(lz->fd, &st) == 0)
		cryo_map_if_cached(lz->fd, 0, (uint64_t)st.st_size, &lz->map);
	int no_buffers = lz->ahead.efd < 0;
	for (int i = 0; i < AHEAD; i++)
		no_buffers |= window_init(&lz->ahead.win[i], AHEAD_WINDOW);
	if (no_buffers || window_init(&lz->fault_win, 4u << 20) || window_init(&lz->fetch_win, WINDOW + (4u << 20))) {
		free_lazy(lz);
		return cryo_fail(e, 0, RES, "mmap", ENOMEM, "out of memory for the lazy restart's buffers");
	}
	if (start_guard(lz, e)) {
		free_lazy(lz);
		return -1;
	}
	*out = lz;
	return 0;
}

/* A userfaultfd of the process behind in, with the events a served process
 * can cause, as a descriptor of ours; the process's own is closed again. */
static int take_userfaultfd(struct lazy *lz, struct injector *in, int *uffd, struct cryo_error *e)
{
	int fd, err;
	if (uffd_take(in, O_CLOEXEC | O_NONBLOCK, &fd, e)) {
		if (uffd_refused(e) && !strcmp(e->syscall, "userfaultfd"))
			cryo_fail(e, in->pid, RES, "userfaultfd", e->err,
				  "cannot make a userfaultfd in process %d (--lazy needs CAP_SYS_PTRACE, or vm.unprivileged_userfaultfd=1)",
				  in->pid);
		return -1;
	}
	*uffd = move_high(lz, fd);
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_EVENTS };
	if (ioctl(*uffd, UFFDIO_API, &api) < 0) {
		err = errno;
		close(*uffd);
		return cryo_fail(e, in->pid, RES, "ioctl(UFFDIO_API)", err,
				 "this kernel's userfaultfd cannot follow the forks and remaps of process %d (--lazy needs CAP_SYS_PTRACE)",
				 in->pid);
	}
	return 0;
}

static int register_ranges(struct ctx *c, pid_t pid, struct cryo_error *e)
{
	for (int i = 0; i < c->nr_ranges; i++) {
		struct uffdio_register reg = { .range = { c->ranges[i].cur, c->ranges[i].len }, .mode = UFFDIO_REGISTER_MODE_MISSING };
		if (ioctl(c->uffd, UFFDIO_REGISTER, &reg) < 0)
			return cryo_fail_errno(e, pid, RES, "ioctl(UFFDIO_REGISTER)", "cannot register %#llx-%#llx of process %d for lazy pages",
					       (unsigned long long)c->ranges[i].cur,
					       (unsigned long long)(c->ranges[i].cur + c->ranges[i].len), pid);
	}
	return 0;
}

/* Every page of the image outside the lazy mappings, block by block, each checked. */
static int fill_eager(struct lazy *lz, const struct source *src, pid_t pid, struct cryo_error *e)
{
	struct window *w = &lz->fetch_win;
	for (size_t i = 0; i < src->nr_runs; i++) {
		const struct cryo_page_run *run = &src->runs[i];
		if (lvma_index(src, run->vaddr) >= 0)
			continue;
		uint64_t end = run->data_offset + run->nr_pages * PAGE;
		for (uint64_t lo = run->data_offset; lo < end;) {
			uint64_t hi = (lo / WINDOW + 1) * WINDOW;
			hi = hi < end ? hi : end;
			struct data_error de = {0};
			if (window_load(lz, w, src, lo, hi, 0, &de))
				return cryo_fail(e, pid, "context file", de.mismatch ? "" : "pread", de.err,
						 "the page data of process %d at offset %llu of %s %s", pid,
						 (unsigned long long)de.at, lz->path,
						 de.mismatch ? "does not match its checksum" : "cannot be read");
			if (restore_check_interrupted(e) ||
			    memory_poke(pid, run->vaddr + (lo - run->data_offset), w->data + (lo - w->lo), (size_t)(hi - lo), e))
				return -1;
			lo = hi;
		}
	}
	return 0;
}

static int start_server(struct lazy *lz, struct cryo_error *e)
{
	if (lz->started)
		return 0;
	if (pthread_create(&lz->thread, NULL, serve_loop, lz))
		return cryo_fail(e, 0, RES, "pthread_create", EAGAIN, "cannot start the lazy page server");
	lz->started = 1;
	return 0;
}

int lazy_register_and_fill(struct lazy *lz, struct injector *in, struct cryo_error *e)
{
	struct source *src = lz->planning;
	int uffd = -1;
	src->pid = in->pid;
	if (take_userfaultfd(lz, in, &uffd, e))
		return -1;
	struct ctx *c = new_ctx(src, uffd, NULL);
	if (!c) {
		close(uffd);
		return cryo_fail(e, in->pid, RES, "malloc", ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&lz->lock);
	lz->src[lz->nr_src++] = src;
	lz->planning = NULL;
	pthread_mutex_unlock(&lz->lock);
	if (lz->nr_ctx == MAX_CTX) {
		free_ctx(c);
		return cryo_fail(e, in->pid, RES, "", E2BIG, "too many lazily restored processes");
	}
	if (register_ranges(c, in->pid, e)) {
		free_ctx(c);
		return -1;
	}
	c->pidfd = move_high(lz, (int)syscall(SYS_pidfd_open, in->pid, 0));
	/* the guard holds it before anyone is served from it */
	tell_guard(lz, GUARD_PROCESS, in->pid, c->uffd);
	pthread_mutex_lock(&lz->lock);
	lz->ctx[lz->nr_ctx++] = c;
	pthread_mutex_unlock(&lz->lock);
	/* served from now on: the kernel itself touches the process's memory in the steps to come (rseq) */
	if (start_server(lz, e))
		return -1;
	char wake_up = 'n';
	if (write(lz->ctl[1], &wake_up, 1) != 1)
		return cryo_fail_errno(e, in->pid, RES, "write", "cannot reach the lazy page server");
	return fill_eager(lz, src, in->pid, e);
}

void lazy_release(struct lazy *lz)
{
	if (!lz)
		return;
	if (!lz->started) {         /* nothing was lazy: no server, the guard goes */
		stop_guard(lz);
		free_lazy(lz);
		return;
	}
	pthread_t server = lz->thread;     /* lz is the server's once it reads the go */
	char go = 'g';
	if (write(lz->ctl[1], &go, 1) != 1)
		say("lazy restart of %s: the page server did not get its go: pages come on touch only", lz->path);
	pthread_detach(server);
}

void lazy_abort(struct lazy *lz)
{
	if (!lz)
		return;
	if (lz->started) {
		char quit = 'q';
		if (write(lz->ctl[1], &quit, 1) != 1)
			pthread_cancel(lz->thread);
		pthread_join(lz->thread, NULL);
	}
	stop_guard(lz);
	free_lazy(lz);
}
