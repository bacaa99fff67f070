/* Capture side of memory.h. */
#include "memory.h"
#include "progress.h"
#include "error.h"
#include "proc.h"
#include "pagestream.h"
#include "sysv.h"
#include "cow.h"
#include "dirty.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE          CRYO_PAGE_SIZE
#define PM_PRESENT    (1ULL << 63)
#define PM_SWAPPED    (1ULL << 62)
#define PM_FILE       (1ULL << 61)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)  /* mapped by this process alone */
#define CHUNK_BYTES   PAGESTREAM_CHUNK     /* one read from the target */

struct smaps_header {
	unsigned long start, end, pgoff, inode;
	unsigned major, minor;
	char perms[5];
	const char *path;
};

/* A mapping's first line; the attribute lines that follow it ("Size: ...")
 * must leave *h alone. */
static int parse_header(char *line, struct smaps_header *h)
{
	struct smaps_header t;
	int off = 0;
	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &t.start, &t.end, t.perms,
		   &t.pgoff, &t.major, &t.minor, &t.inode, &off) < 7)
		return -1;
	t.path = line + off;
	*h = t;
	return 0;
}

static uint32_t vmflags_to_cryo(const char *flags)
{
	static const struct { const char *name; uint32_t bit; } table[] = {
		{ "gd", CRYO_VMA_GROWSDOWN }, { "hg", CRYO_VMA_HUGEPAGE }, { "nh", CRYO_VMA_NOHUGEPAGE },
		{ "dc", CRYO_VMA_DONTFORK }, { "dd", CRYO_VMA_DONTDUMP }, { "wf", CRYO_VMA_WIPEONFORK },
		{ "lo", CRYO_VMA_LOCKED }, { "dp", CRYO_VMA_DROPPABLE },
	};
	uint32_t out = 0;
	char word[4];
	for (const char *p = flags; sscanf(p, " %2s", word) == 1;) {
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (!strcmp(word, table[i].name))
				out |= table[i].bit;
		p = strstr(p, word) + strlen(word);
	}
	return out;
}

static void file_id_from_stat(struct cryo_file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_sec = st->st_mtim.tv_sec;
	id->mtime_nsec = st->st_mtim.tv_nsec;
	id->mode = st->st_mode;
}

/* Shared memory with no file to find it by: MAP_SHARED|MAP_ANONYMOUS, a
 * memfd, a POSIX shm object already unlinked (Python's semaphores).  Saved
 * by content, recreated as a memfd. */
static int is_shared_memory_object(const char *path)
{
	size_t len = strlen(path);
	int deleted = len > 10 && !strcmp(path + len - 10, " (deleted)");
	return !strcmp(path, "/dev/zero (deleted)") || !strncmp(path, "/memfd:", 7) ||
	       (deleted && !strncmp(path, "/dev/shm/", 9));
}

/* Decide what a mapping is; 1 to leave it out of the image. */
/* cr_checkpoint --save-*: is this file mapping to be saved by content? */
static int wanted_by_content(const struct snapshot *s, const char *path, int shared)
{
	if (s->exe && !strcmp(path, s->exe))
		return (s->save_by_content & CRYO_SAVE_EXE) != 0;
	return (s->save_by_content & (shared ? CRYO_SAVE_SHARED : CRYO_SAVE_PRIVATE)) != 0;
}

static int classify(pid_t pid, const struct smaps_header *h, int may_write, struct vma_rec *v, int by_content,
		    struct cryo_error *e)
{
	int shared = h->perms[3] == 's';
	const char *path = h->path;

	if (!strcmp(path, "[vsyscall]"))
		return 1;       /* fixed by the kernel in every process */
	if (!strcmp(path, "[vdso]")) {
		v->r.kind = CRYO_VMA_VDSO;
	} else if (!strcmp(path, "[vvar]") || !strcmp(path, "[vvar_vclock]")) {
		v->r.kind = CRYO_VMA_VVAR;
	} else if (h->inode == 0 && (!*path || !strcmp(path, "[heap]") || !strcmp(path, "[stack]") ||
				     !strncmp(path, "[anon:", 6))) {
		v->r.kind = shared ? CRYO_VMA_ANON_SHARED : CRYO_VMA_ANON_PRIVATE;
		if (!strcmp(path, "[heap]"))
			v->r.flags |= CRYO_VMA_HEAP;
		if (!strcmp(path, "[stack]"))
			v->r.flags |= CRYO_VMA_STACK;
	} else if (shared && sysv_is_shm_mapping(path)) {
		v->r.kind = CRYO_VMA_SYSV_SHM;
		v->r.file.ino = h->inode;       /* the segment's shmid */
		v->r.pgoff = h->pgoff;
	} else if (shared && is_shared_memory_object(path)) {
		v->r.kind = CRYO_VMA_ANON_SHARED;
		v->r.file.ino = h->inode;       /* with dev, names the shared memory object across processes */
		v->r.file.dev = makedev(h->major, h->minor);
		v->r.pgoff = h->pgoff;
	} else if (!strcmp(path, "/[aio] (deleted)")) {
		return cryo_fail(e, pid, "memory", "", ENOTSUP,
				 "process %d has an AIO context (io_setup) at %lx: Cryo cannot restore one", pid, h->start);
	} else if (*path == '/') {
		struct stat st;
		size_t len = strlen(path);
		if (len > 10 && !strcmp(path + len - 10, " (deleted)")) {
			if (shared) {
				/* its file is saved by content and recreated, unlinked (files.c) */
				v->r.kind = CRYO_VMA_ANON_SHARED;
				v->r.flags |= CRYO_VMA_FILE_GONE;
				v->r.file.ino = h->inode;
				v->r.file.dev = makedev(h->major, h->minor);
				v->r.pgoff = h->pgoff;
				goto mapped;
			}
			/* a binary replaced under a running program (an upgrade): its pages are
			 * still readable through the mapping, so they are saved, all of them */
			v->r.kind = CRYO_VMA_ANON_PRIVATE;
			v->r.flags |= CRYO_VMA_FILE_GONE;
			goto mapped;
		}
		if (stat(path, &st) < 0)
			return cryo_fail_errno(e, pid, "memory", "stat", "process %d maps %s, which cannot be found", pid, path);
		if (st.st_ino != h->inode)
			return cryo_fail(e, pid, "memory", "", ESTALE,
					 "process %d maps %s, which has been replaced since it was mapped", pid, path);
		if (!S_ISREG(st.st_mode))
			return cryo_fail(e, pid, "memory", "", ENOTSUP,
					 "process %d maps %s, which is not a regular file (device mappings are not supported)", pid, path);
		v->r.kind = shared ? CRYO_VMA_FILE_SHARED : CRYO_VMA_FILE_PRIVATE;
		v->r.open_flags = shared && may_write ? O_RDWR : O_RDONLY;
		v->r.pgoff = h->pgoff;
		file_id_from_stat(&v->r.file, &st);
		if (by_content) {
			/* as if deleted: a private one all in PAGES, a shared one a SHMEM_FILES object (files.c) */
			v->r.kind = shared ? CRYO_VMA_ANON_SHARED : CRYO_VMA_ANON_PRIVATE;
			v->r.flags |= CRYO_VMA_FILE_GONE | CRYO_VMA_BY_CONTENT;
		}
	} else {
		return cryo_fail(e, pid, "memory", "", ENOTSUP,
				 "process %d has a mapping Cryo cannot save yet: %s at %lx-%lx", pid, path, h->start, h->end);
	}
mapped:
	v->r.start = h->start;
	v->r.end = h->end;
	v->r.prot = (h->perms[0] == 'r' ? PROT_READ : 0) | (h->perms[1] == 'w' ? PROT_WRITE : 0) |
		    (h->perms[2] == 'x' ? PROT_EXEC : 0);
	v->path = snap_strdup(path);
	return v->path ? 0 : cryo_fail(e, pid, "memory", "malloc", ENOMEM, "out of memory");
}

static int append_vma(struct snapshot *s, const struct vma_rec *v, size_t *cap)
{
	if ((size_t)s->nr_vmas == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		struct vma_rec *n = realloc(s->vmas, *cap * sizeof(*n));
		if (!n)
			return -1;
		s->vmas = n;
	}
	s->vmas[s->nr_vmas++] = *v;
	return 0;
}

/* A mapping's first line in smaps (and its only one in maps): "start-end ...". */
static int is_mapping_line(const char *l)
{
	const char *p = l;
	while (isxdigit((unsigned char)*p))
		p++;
	return p > l && *p == '-';
}

/* Do pid's mappings now (/proc/PID/maps) read as in smaps, line for line? */
static int same_mappings(pid_t pid, const char *smaps)
{
	char *maps;
	struct cryo_error ignored;
	if (proc_read(pid, "maps", &maps, NULL, &ignored))
		return 0;
	const char *m = maps;
	int same = 1;
	for (const char *l = smaps; *l && same;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		if (is_mapping_line(l)) {
			same = !strncmp(m, l, n) && (m[n] == '\n' || (!m[n] && !nl));
			m += n + (m[n] == '\n');
		}
		l += n + (nl != NULL);
	}
	same = same && !*m;
	free(maps);
	return same;
}

/* Each mapping of a smaps text (buf, cut up in place): fn gets its first line and its
 * VmFlags line (after "VmFlags:"), in address order, until it returns non-zero. */
typedef int (*smaps_fn)(void *arg, const struct smaps_header *h, const char *vmflags);

static int each_mapping(char *buf, smaps_fn fn, void *arg)
{
	struct smaps_header h = {0};
	int have = 0, rc = 0;
	char *save;
	for (char *line = strtok_r(buf, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "VmFlags:", 8) && have) {
			rc = fn(arg, &h, line + 8);
			have = 0;
		} else if (!parse_header(line, &h)) {
			have = 1;
		}
	}
	return rc;
}

static int may_write_in(const char *vmflags)
{
	return strstr(vmflags, " mw") != NULL;
}

struct capture_vmas {
	pid_t pid;
	struct snapshot *s;
	size_t cap;
	struct cryo_error *e;
};

static int capture_vma(void *arg, const struct smaps_header *h, const char *vmflags)
{
	struct capture_vmas *c = arg;
	struct vma_rec cur;
	memset(&cur, 0, sizeof(cur));
	int skip = classify(c->pid, h, may_write_in(vmflags), &cur, wanted_by_content(c->s, h->path, h->perms[3] == 's'), c->e);
	if (skip)
		return skip < 0 ? -1 : 0;
	cur.r.flags |= vmflags_to_cryo(vmflags);
	return append_vma(c->s, &cur, &c->cap) ? cryo_fail(c->e, c->pid, "memory", "malloc", ENOMEM, "out of memory") : 0;
}

int memory_capture_mappings(pid_t pid, struct snapshot *s, const char *smaps_before, struct cryo_error *e)
{
	char *buf;
	if (smaps_before && same_mappings(pid, smaps_before)) {
		if (!(buf = strdup(smaps_before)))
			return cryo_fail(e, pid, "memory", "malloc", ENOMEM, "out of memory");
	} else if (proc_read(pid, "smaps", &buf, NULL, e)) {
		return -1;
	}
	struct capture_vmas c = { pid, s, 0, e };
	int rc = each_mapping(buf, capture_vma, &c);
	free(buf);
	return rc;
}

/* ---- smaps, read again while frozen, beside the rest of the capture ---- */

/* The flags madvise or mlock changes without changing a mapping's line in
 * /proc/PID/maps; the other flags come with the mapping (mmap). */
#define CHANGED_IN_PLACE (CRYO_VMA_HUGEPAGE | CRYO_VMA_NOHUGEPAGE | CRYO_VMA_DONTFORK | CRYO_VMA_DONTDUMP | \
			  CRYO_VMA_WIPEONFORK | CRYO_VMA_LOCKED)

struct smaps_look {
	pthread_t thread;
	pid_t pid;
	struct snapshot *s;
	char *buf;
	int rc;
	struct cryo_error err;
};

static void *read_smaps_frozen(void *arg)
{
	struct smaps_look *l = arg;
	l->rc = proc_read(l->pid, "smaps", &l->buf, NULL, &l->err);
	return NULL;
}

struct smaps_look *memory_smaps_look_start(pid_t pid, struct snapshot *s)
{
	struct smaps_look *l = calloc(1, sizeof(*l));
	sigset_t all, old;
	if (!l)
		return NULL;
	l->pid = pid;
	l->s = s;
	/* every signal stays the engine's main thread's (interrupt.h) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&l->thread, NULL, read_smaps_frozen, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		free(l);
		return NULL;
	}
	return l;
}

void memory_smaps_look_cancel(struct smaps_look *l)
{
	if (!l)
		return;
	pthread_join(l->thread, NULL);
	free(l->buf);
	free(l);
}

struct frozen_vma {
	unsigned long start, end;
	uint32_t flags;
	int may_write;
};

struct frozen_vmas {
	struct frozen_vma *v;
	size_t nr, cap;
};

static int keep_frozen(void *arg, const struct smaps_header *h, const char *vmflags)
{
	struct frozen_vmas *f = arg;
	if (f->nr == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct frozen_vma *n = realloc(f->v, cap * sizeof(*n));
		if (!n)
			return -1;
		f->v = n;
		f->cap = cap;
	}
	f->v[f->nr++] = (struct frozen_vma){ h->start, h->end, vmflags_to_cryo(vmflags), may_write_in(vmflags) };
	return 0;
}

static int may_write_of(const struct vma_rec *v)
{
	return v->r.kind == CRYO_VMA_FILE_SHARED ? v->r.open_flags == O_RDWR : -1;
}

/*
 * Each mapping of s, read from the smaps of before the freeze, against the
 * frozen look: inside one of its mappings (the engine's own calls since the
 * freeze may have merged neighbours, or mapped scratch), the flags madvise
 * changes taken from it; a flag that only a new mapping changes is a mapping
 * replaced between the two reads, refused.
 */
static int reconcile(pid_t pid, struct snapshot *s, struct frozen_vma *f, size_t nr, struct cryo_error *e)
{
	size_t j = 0;
	for (int i = 0; i < s->nr_vmas; i++) {
		struct vma_rec *v = &s->vmas[i];
		while (j < nr && f[j].end <= v->r.start)
			j++;
		int inside = j < nr && f[j].start <= v->r.start && v->r.end <= f[j].end;
		int mw = may_write_of(v);
		if (!inside || ((v->r.flags ^ f[j].flags) & (CRYO_VMA_GROWSDOWN | CRYO_VMA_DROPPABLE)) ||
		    (mw >= 0 && mw != f[j].may_write))
			return cryo_fail(e, pid, "memory", "", EAGAIN,
					 "process %d replaced its mapping at %llx while it was being frozen: checkpoint it again",
					 pid, (unsigned long long)v->r.start);
		v->r.flags = (v->r.flags & ~CHANGED_IN_PLACE) | (f[j].flags & CHANGED_IN_PLACE);
	}
	return 0;
}

int memory_smaps_look_finish(struct smaps_look *l, struct cryo_error *e)
{
	pthread_join(l->thread, NULL);
	int rc = l->rc;
	if (rc)
		*e = l->err;
	else {
		struct frozen_vmas f = {0};
		rc = each_mapping(l->buf, keep_frozen, &f) ? cryo_fail(e, l->pid, "memory", "malloc", ENOMEM, "out of memory")
							   : reconcile(l->pid, l->s, f.v, f.nr, e);
		free(f.v);
	}
	free(l->buf);
	free(l);
	return rc;
}

/* ---- pages ---- */

static int needs_data(const struct vma_rec *v)
{
	return v->r.kind == CRYO_VMA_ANON_PRIVATE || v->r.kind == CRYO_VMA_ANON_SHARED ||
	       v->r.kind == CRYO_VMA_FILE_PRIVATE;
}

static int page_wanted(const struct vma_rec *v, uint64_t pm)
{
	if (v->r.kind == CRYO_VMA_ANON_PRIVATE && v->r.flags & CRYO_VMA_FILE_GONE)   /* no file to find the rest in again */
		return 1;
	if (v->r.kind == CRYO_VMA_FILE_PRIVATE)          /* only its copied-on-write pages */
		return (pm & PM_SWAPPED) || ((pm & PM_PRESENT) && !(pm & PM_FILE));
	return (pm & (PM_PRESENT | PM_SWAPPED)) != 0;
}

static int all_zero(const void *page)
{
	const uint64_t *w = page;
	for (size_t i = 0; i < PAGE / 8; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return 0;
	return 1;
}

/* The data of a shared memory object (a memfd, MAP_SHARED|MAP_ANONYMOUS) is
 * the object's, not the page table's: a page written through a descriptor
 * and never touched through this mapping is in the object but not present
 * here.  Its extents come from SEEK_DATA on the object, opened through
 * /proc/PID/map_files (root); where that cannot be opened, the present pages
 * are all that can be seen. */
struct object_extents {
	int fd;                         /* -1: none */
	off_t data, hole;               /* the extent [data, hole) found last */
};

/* A descriptor of s that holds the object of mapping v, or -1. */
static int fd_of_object(const struct snapshot *s, const struct vma_rec *v)
{
	for (int i = 0; i < s->nr_fds; i++)
		if (s->fds[i].r.file.ino == v->r.file.ino && s->fds[i].r.file.dev == v->r.file.dev &&
		    s->fds[i].path && (!strncmp(s->fds[i].path, "/memfd:", 7) || !strncmp(s->fds[i].path, "/dev/shm/", 9)))
			return s->fds[i].r.fd;
	return -1;
}

static int is_shared_object(const struct vma_rec *v)
{
	return v->r.kind == CRYO_VMA_ANON_SHARED && !(v->r.flags & CRYO_VMA_FILE_GONE);
}

/* The object of v, opened through /proc/PID/map_files (root), else through
 * a descriptor of the process that holds it (its owner); -1 if neither. */
static int open_object_of(pid_t pid, const struct snapshot *s, const struct vma_rec *v)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)v->r.start,
		 (unsigned long long)v->r.end);
	int fd = open(path, O_RDONLY | O_CLOEXEC), held;
	if (fd < 0 && (held = fd_of_object(s, v)) >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, held);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != v->r.file.ino)) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

static void open_object(struct object_extents *x, pid_t pid, const struct snapshot *s, const struct vma_rec *v)
{
	x->fd = -1;
	x->data = x->hole = -1;
	if (is_shared_object(v))
		x->fd = open_object_of(pid, s, v);
}

int memory_needs_residency(pid_t pid, const struct snapshot *s)
{
	for (int i = 0; i < s->nr_vmas; i++) {
		if (!is_shared_object(&s->vmas[i]))
			continue;
		int fd = open_object_of(pid, s, &s->vmas[i]);
		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

/* kB of "Swap:" of the mapping starting at start in /proc/PID/smaps (for a
 * shared memory mapping: the object's pages in swap within its range). */
static long swapped_kb(char *smaps, uint64_t start)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%llx-", (unsigned long long)start), in_it = 0;
	long kb = 0;
	for (char *line = smaps, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		if (!in_it) {
			in_it = !strncmp(line, head, (size_t)n);
			continue;
		}
		if (!strncmp(line, "VmFlags:", 8))
			break;
		if (sscanf(line, "Swap: %ld kB", &kb) == 1)
			return kb;
	}
	return 0;
}

static int residency_of(struct injector *in, uint64_t scratch, size_t scratch_len, struct vma_rec *v,
			struct cryo_error *e)
{
	size_t pages = (size_t)((v->r.end - v->r.start) / PAGE);
	v->resident = calloc(pages ? pages : 1, 1);
	if (!v->resident)
		return cryo_fail(e, in->pid, "memory", "malloc", ENOMEM, "out of memory");
	for (size_t at = 0; at < pages;) {
		size_t n = pages - at < scratch_len ? pages - at : scratch_len;
		if (injector_call(in, "memory", "mincore", "see the shared memory pages of process", SYS_mincore,
				  (long)(v->r.start + at * PAGE), (long)(n * PAGE), (long)scratch, 0, 0, 0, NULL, e) ||
		    memory_peek(in->pid, scratch, v->resident + at, n, e))
			return -1;
		at += n;
	}
	return 0;
}

int memory_capture_residency(struct injector *in, uint64_t scratch, size_t scratch_len, struct snapshot *s,
			     struct cryo_error *e)
{
	pid_t pid = in->tgid;
	char *smaps = NULL;
	int rc = proc_read(pid, "smaps", &smaps, NULL, e);
	for (int i = 0; !rc && i < s->nr_vmas; i++) {
		struct vma_rec *v = &s->vmas[i];
		int fd = is_shared_object(v) ? open_object_of(pid, s, v) : 0;
		if (fd >= 0) {
			if (is_shared_object(v))
				close(fd);
			continue;
		}
		if (swapped_kb(smaps, v->r.start) > 0)
			rc = cryo_fail(e, pid, "memory", "", ENOTSUP,
				       "process %d maps shared memory at %llx (%s) with pages in swap, which a checkpoint without "
				       "privilege cannot see: not supported", pid, (unsigned long long)v->r.start, v->path);
		else
			rc = residency_of(in, scratch, scratch_len, v, e);
	}
	free(smaps);
	return rc;
}

/* Is the page at object offset off data of the object? */
static int object_has_data(struct object_extents *x, off_t off)
{
	if (x->fd < 0)
		return 0;
	if (off < x->data || off >= x->hole) {
		x->data = lseek(x->fd, off, SEEK_DATA);
		if (x->data < 0) {              /* ENXIO: no data from off on */
			x->data = x->hole = (off_t)1 << 62;
			return 0;
		}
		x->hole = lseek(x->fd, x->data, SEEK_HOLE);
		if (x->hole < 0)
			x->hole = x->data + PAGE;
	}
	return off >= x->data && off < x->hole;
}

#define PEND_MAX 1024      /* UIO_MAXIOV: remote ranges per process_vm_readv */

struct page_dumper {
	pid_t pid;
	int pagemap_fd, mem_fd;
	struct snapshot *s;
	struct pagestream *ps;
	size_t runs_cap;
	uint64_t data_bytes;
	uint64_t vma_start;             /* runs never cross a mapping's start */
	uint64_t *pm;
	struct object_extents object;   /* the shared memory object of the mapping being dumped */
	char *cur;                      /* the stream buffer being filled, or NULL */
	size_t cur_len;                 /* bytes in it: scattered pages (an incremental's) share one write */
	/* ranges queued behind cur_len, read by one process_vm_readv (a pre-copy's last dirty
	 * set is thousands of single pages, read frozen: one call each cost 10k syscalls) */
	struct iovec pend[PEND_MAX];
	int nr_pend;
	size_t pend_bytes;
	const struct vma_rec *pend_v;
	int pend_shared;
};

static int add_run(struct page_dumper *d, uint64_t vaddr, uint64_t nr_pages)
{
	struct snapshot *s = d->s;
	if (s->nr_runs) {
		struct cryo_page_run *last = &s->runs[s->nr_runs - 1];
		if (last->vaddr + last->nr_pages * PAGE == vaddr && last->vaddr >= d->vma_start) {
			last->nr_pages += nr_pages;
			d->data_bytes += nr_pages * PAGE;
			return 0;
		}
	}
	if (s->nr_runs == d->runs_cap) {
		d->runs_cap = d->runs_cap ? d->runs_cap * 2 : 1024;
		struct cryo_page_run *n = realloc(s->runs, d->runs_cap * sizeof(*n));
		if (!n)
			return -1;
		s->runs = n;
	}
	s->runs[s->nr_runs++] = (struct cryo_page_run){ vaddr, nr_pages, d->data_bytes };
	d->data_bytes += nr_pages * PAGE;
	return 0;
}

/* Pages another process maps too (copy-on-write after a fork) are read
 * through /proc/PID/mem: process_vm_readv pins them, and the kernel gives a
 * process its own copy of a shared anonymous page before it lets it be
 * pinned, so a checkpoint of a running worker pool would have doubled its
 * memory. */
static int read_target(struct page_dumper *d, const struct vma_rec *v, uint64_t addr, char *buf, size_t len,
		       int shared, struct cryo_error *e)
{
	if (v->r.prot & PROT_READ && !shared) {
		struct iovec local = { buf, len }, remote = { (void *)addr, len };
		ssize_t n = process_vm_readv(d->pid, &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
	}
	/* unreadable (PROT_NONE, write-only) or a short read: /proc/PID/mem forces access */
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(d->mem_fd, buf + done, len - done, (off_t)(addr + done));
		if (n <= 0)
			return cryo_fail(e, d->pid, "memory", "pread", n < 0 ? errno : EIO,
					 "cannot read memory of process %d at %#lx (%s)", d->pid,
					 (unsigned long)(addr + done), v->path);
		done += (size_t)n;
	}
	return 0;
}

/* Save [addr, addr+len) of v, all wanted; anonymous zero pages are left
 * out (squeezed out of the buffer before it goes to disk). */
static int submit_current(struct page_dumper *d, struct cryo_error *e)
{
	size_t len = d->cur_len;
	d->cur = NULL;
	d->cur_len = 0;
	return ps_write_submit(d->ps, len, e);
}

/* The queued ranges into the buffer at cur_len: one call for all where the
 * target lets it read them, else range by range as before. */
static int read_pending(struct page_dumper *d, char *buf, struct cryo_error *e)
{
	const struct vma_rec *v = d->pend_v;
	if (v->r.prot & PROT_READ && !d->pend_shared) {
		struct iovec local = { buf, d->pend_bytes };
		ssize_t n = process_vm_readv(d->pid, &local, 1, d->pend, (unsigned long)d->nr_pend, 0);
		if (n == (ssize_t)d->pend_bytes)
			return 0;
	}
	for (int k = 0; k < d->nr_pend; k++) {
		if (read_target(d, v, (uint64_t)(uintptr_t)d->pend[k].iov_base, buf, d->pend[k].iov_len, d->pend_shared, e))
			return -1;
		buf += d->pend[k].iov_len;
	}
	return 0;
}

/* Read what is queued and keep its wanted pages: anonymous zero pages are
 * left out (squeezed out of the buffer before it goes to disk), and so are
 * pages as the parent has them. */
static int flush_pending(struct page_dumper *d, struct cryo_error *e)
{
	if (!d->nr_pend)
		return 0;
	const struct vma_rec *v = d->pend_v;
	int skip_zero = v->r.kind != CRYO_VMA_FILE_PRIVATE;
	char *buf = d->cur + d->cur_len;
	size_t kept = 0, i = 0;
	if (read_pending(d, buf, e))
		return -1;
	for (int k = 0; k < d->nr_pend; k++) {
		uint64_t addr = (uint64_t)(uintptr_t)d->pend[k].iov_base;
		for (size_t p = 0; p < d->pend[k].iov_len / PAGE; p++, i++) {
			if (skip_zero && all_zero(buf + i * PAGE))
				continue;
			if (dirty_same_as_parent(d->s, v->r.start, addr + p * PAGE, buf + i * PAGE))
				continue;       /* untracked, but as the parent has it */
			if (kept != i)
				memcpy(buf + kept * PAGE, buf + i * PAGE, PAGE);
			if (add_run(d, addr + p * PAGE, 1))
				return cryo_fail(e, d->pid, "memory", "malloc", ENOMEM, "out of memory");
			kept++;
		}
	}
	d->nr_pend = 0;
	d->pend_bytes = 0;
	d->cur_len += kept * PAGE;
	return d->cur_len == CHUNK_BYTES ? submit_current(d, e) : 0;
}

/* Save [addr, addr+len) of v, all wanted: queued, read with the ranges
 * around it. */
static int dump_range(struct page_dumper *d, const struct vma_rec *v, uint64_t addr, uint64_t len, int shared,
		      struct cryo_error *e)
{
	if (d->nr_pend && (d->pend_v != v || d->pend_shared != shared) && flush_pending(d, e))
		return -1;
	while (len) {
		if (!d->cur && ps_write_buffer(d->ps, &d->cur, e))
			return -1;
		size_t room = CHUNK_BYTES - d->cur_len - d->pend_bytes;
		if (!room || d->nr_pend == PEND_MAX) {
			if (flush_pending(d, e))
				return -1;
			continue;
		}
		size_t n = len < room ? (size_t)len : room;
		struct iovec *last = d->nr_pend ? &d->pend[d->nr_pend - 1] : NULL;
		if (last && (char *)last->iov_base + last->iov_len == (char *)(uintptr_t)addr)
			last->iov_len += n;
		else
			d->pend[d->nr_pend++] = (struct iovec){ (void *)(uintptr_t)addr, n };
		d->pend_v = v;
		d->pend_shared = shared;
		d->pend_bytes += n;
		addr += n;
		len -= n;
	}
	return 0;
}

#define PM_BATCH 65536     /* pagemap entries per read: 256 MiB of address space */

/* A page whose data goes in PAGES: not a guard page (no data), not one a
 * child shares with its parent (the parent's image has it). */
static int saved_page(struct page_dumper *d, const struct vma_rec *v, uint64_t addr, uint64_t pm)
{
	if (!needs_data(v) || pm & PM_GUARD_REGION)
		return 0;
	if (!page_wanted(v, pm) &&
	    !object_has_data(&d->object, (off_t)(v->r.pgoff + (addr - v->r.start))) &&
	    !(d->object.fd < 0 && v->resident && v->resident[(addr - v->r.start) / PAGE] & 1))
		return 0;
	if ((v->r.flags & CRYO_VMA_INHERITED) && cow_page_is_shared(d->s, addr))
		return 0;
	/* an incremental checkpoint: a page the tracker saw no write to is the parent's */
	return !dirty_tracked_clean(d->s, v->r.start, addr);
}

static int dump_vma_pages(struct page_dumper *d, const struct vma_rec *v, struct cryo_error *e);

static int dump_vma(struct page_dumper *d, const struct vma_rec *v, struct cryo_error *e)
{
	open_object(&d->object, d->pid, d->s, v);
	int rc = dump_vma_pages(d, v, e);
	if (d->object.fd >= 0)
		close(d->object.fd);
	d->object.fd = -1;
	return rc;
}

/* The pages of v in [from, to), by their page map entries. */
static int dump_span(struct page_dumper *d, const struct vma_rec *v, uint64_t from, uint64_t to, struct cryo_error *e)
{
	for (uint64_t at = from; at < to;) {
		size_t n = (size_t)((to - at) / PAGE);
		if (n > PM_BATCH)
			n = PM_BATCH;
		ssize_t got = pread(d->pagemap_fd, d->pm, n * 8, (off_t)(at / PAGE * 8));
		if (got != (ssize_t)(n * 8))
			return cryo_fail(e, d->pid, "memory", "pread", got < 0 ? errno : EIO,
					 "cannot read the page map of process %d", d->pid);
		for (size_t i = 0; i < n;) {
			if (d->pm[i] & PM_GUARD_REGION && cow_add_guard(d->s, v->r.start, at + i * PAGE, e))
				return -1;
			if (!saved_page(d, v, at + i * PAGE, d->pm[i])) {
				i++;
				continue;
			}
			int shared = !(d->pm[i] & PM_MMAP_EXCLUSIVE);
			size_t j = i + 1;
			while (j < n && saved_page(d, v, at + j * PAGE, d->pm[j]) &&
			       (!(d->pm[j] & PM_MMAP_EXCLUSIVE)) == shared)
				j++;
			if (dump_range(d, v, at + i * PAGE, (j - i) * PAGE, shared, e))
				return -1;
			i = j;
		}
		at += n * PAGE;
	}
	return 0;
}

/* Private anonymous memory of a tracked process: what the tracker saw
 * unchanged and present is the parent's as it stands, with no page map entry
 * to read (a pre-copy's last, frozen step would read 2 MiB of them per GiB);
 * only the pages around it are looked at one by one. */
static int tracked_clean_skippable(const struct page_dumper *d, const struct vma_rec *v)
{
	return dirty_mode_of(d->s) == DIRTY_TRACKED && v->r.kind == CRYO_VMA_ANON_PRIVATE &&
	       !(v->r.flags & (CRYO_VMA_INHERITED | CRYO_VMA_FILE_GONE));
}

static int dump_vma_pages(struct page_dumper *d, const struct vma_rec *v, struct cryo_error *e)
{
	d->vma_start = v->r.start;
	if (!tracked_clean_skippable(d, v)) {
		if (dump_span(d, v, v->r.start, v->r.end, e))
			return -1;
	} else {
		for (uint64_t at = v->r.start, cs, ce; at < v->r.end; at = ce) {
			if (!dirty_next_clean(d->s, at, v->r.end, &cs, &ce))
				cs = ce = v->r.end;
			if (dump_span(d, v, at, cs, e))
				return -1;
			if (ce > cs && dirty_take_clean(d->s, v->r.start, cs, (ce - cs) / PAGE))
				return cryo_fail(e, d->pid, "memory", "malloc", ENOMEM, "out of memory");
		}
	}
	/* a run never crosses a mapping's start, nor a queue */
	return flush_pending(d, e);
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

static int dump_all(struct page_dumper *d, struct image_writer *w, struct cryo_error *e)
{
	int rc = 0;
	if (ps_write_begin(&d->ps, w, e))
		return -1;
	for (int i = 0; i < d->s->nr_vmas && !rc; i++)
		if (d->s->vmas[i].r.kind != CRYO_VMA_VDSO && d->s->vmas[i].r.kind != CRYO_VMA_VVAR &&
		    dump_vma(d, &d->s->vmas[i], e))   /* data, and guard pages anywhere */
			rc = -1;
	if (!rc && d->cur && submit_current(d, e))
		rc = -1;
	/* the stream ends, and its thread stops, whatever happened above */
	struct cryo_error later;
	uint64_t *sums = NULL;
	size_t nr_sums = 0;
	if (ps_write_end_with_sums(d->ps, &sums, &nr_sums, rc ? &later : e))
		rc = -1;
	/* PAGE_SUMS (format.h): what a lazy restart checks each block it serves against */
	if (!rc && !w->compress && page_sums_write(w, sums, nr_sums, e))
		rc = -1;
	free(sums);
	return rc;
}

/* What the page data of pid will about be, for the progress line: its resident
 * anonymous and shared memory (the pages it never touched cost nothing). */
static uint64_t resident_estimate(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kb, total = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %llu", &kb) == 1 || sscanf(line, "RssShmem: %llu", &kb) == 1)
			total += kb;
	fclose(f);
	return total << 10;
}

int memory_capture_pages(pid_t pid, struct snapshot *s, struct image_writer *w,
			 uint64_t *page_bytes, struct cryo_error *e)
{
	struct page_dumper d = { .pid = pid, .s = s, .pagemap_fd = -1, .mem_fd = -1, .object = { .fd = -1 } };
	int rc = -1;

	if (s->proc.state == CRYO_PROCESS_ZOMBIE) {         /* no memory: an empty section keeps the order */
		*page_bytes = 0;
		return iw_begin(w, CRYO_SEC_PAGES, PAGE, e) || iw_end(w, e) || (!w->compress && page_sums_write(w, NULL, 0, e)) ||
		       cow_write_ranges(w, s, e) ? -1 : 0;
	}
	d.pm = malloc(PM_BATCH * 8);
	if (!d.pm)
		cryo_fail(e, pid, "memory", "malloc", ENOMEM, "out of memory");
	else if ((d.pagemap_fd = open_proc(pid, "pagemap", e)) >= 0 && (d.mem_fd = open_proc(pid, "mem", e)) >= 0) {
		uint64_t estimate = resident_estimate(pid);
		cryo_progress_expect(estimate);
		rc = dump_all(&d, w, e);
		cryo_progress_settle(estimate, d.data_bytes);
	}
	if (!rc)
		*page_bytes = d.data_bytes;
	if (!rc && cow_write_ranges(w, s, e))
		rc = -1;
	free(d.pm);
	if (d.pagemap_fd >= 0)
		close(d.pagemap_fd);
	if (d.mem_fd >= 0)
		close(d.mem_fd);
	return rc;
}

uint64_t memory_own_vdso_checksum(uint64_t *size)
{
	uint64_t start = 0, end = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]")) {
			sscanf(line, "%lx-%lx", (unsigned long *)&start, (unsigned long *)&end);
			break;
		}
	fclose(f);
	if (size)
		*size = end - start;
	return start ? XXH3_64bits((const void *)start, end - start) : 0;
}
