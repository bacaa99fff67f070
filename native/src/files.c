#include "dirty.h"
#include "files.h"
#include "config.h"
#include "memfd.h"
#include "error.h"
#include "proc.h"
#include "pipes.h"
#include "locks.h"
#include "sockets.h"
#include "tcp.h"
#include "eventfds.h"
#include "fdtypes.h"
#include "resources.h"
#include "inject.h"
#include "memory.h"
#include "rexec.h"
#include "fdowners.h"
#include "filehash.h"

#include <dirent.h>
#include <linux/kcmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const reopenable_devices[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};

static int is_reopenable_device(const char *path)
{
	for (size_t i = 0; i < sizeof(reopenable_devices) / sizeof(reopenable_devices[0]); i++)
		if (!strcmp(path, reopenable_devices[i]))
			return 1;
	return 0;
}

static int read_fdinfo(pid_t pid, int fd, uint64_t *pos, uint32_t *flags, struct cryo_error *e)
{
	char name[64], *buf;
	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	if (proc_read(pid, name, &buf, NULL, e))
		return -1;
	unsigned long long p = 0;
	unsigned f = 0;
	char *at = strstr(buf, "pos:");
	if (at)
		sscanf(at, "pos: %llu", &p);
	at = strstr(buf, "flags:");
	if (at)
		sscanf(at, "flags: %o", &f);
	free(buf);
	*pos = p;
	*flags = f;
	return 0;
}

static int is_deleted(const char *path)
{
	size_t len = strlen(path);
	return len > 10 && !strcmp(path + len - 10, " (deleted)");
}

/* File systems whose files are regular files that no path reaches and whose
 * bytes are not theirs to copy: refused by what they are, not taken for a
 * file by reference or by content. */
static const struct {
	long magic;                 /* statfs's f_type */
	const char *what;
} pathless_fs[] = {
	{ 0x19800202, "a POSIX message queue (mq_open)" },         /* MQUEUE_MAGIC */
	{ 0x5345434d, "secret memory (memfd_secret)" },            /* SECRETMEM_MAGIC */
};

static int refuse_pathless(pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	char link[64];
	struct statfs sf;
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, f->r.fd);
	if (statfs(link, &sf) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(pathless_fs) / sizeof(pathless_fs[0]); i++)
		if ((long)sf.f_type == pathless_fs[i].magic)
			return cryo_fail(e, pid, "files", "", ENOTSUP, "fd %d of process %d is %s: Cryo cannot save this kind of file yet",
					 f->r.fd, pid, pathless_fs[i].what);
	return 0;
}

/* A file by reference must be the one its path reaches (the path as the
 * kernel names it to the engine, which is the one a restart opens, in the
 * engine's mount namespace; openat2, no symbolic link followed): not so for
 * one under a file system mounted over its directory since it was opened, or
 * one in a mount namespace of the job's own (a private /tmp), whose restart
 * would open the other file.  Only a path that reaches nothing or another file refuses; one that
 * cannot be looked up here (a FUSE mount closed to root) is left to the
 * restart's own check. */
static int refuse_covered(pid_t pid, const struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	struct stat at;
	if (f->path[0] != '/')
		return 0;
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, f->path, &how, sizeof(how));
	int err = fd < 0 ? errno : 0;
	if (fd >= 0 && fstat(fd, &at) < 0)
		err = EACCES;
	if (fd >= 0)
		close(fd);
	if (err == ENOENT || err == ENOTDIR || (!err && (at.st_dev != st->st_dev || at.st_ino != st->st_ino)))
		return cryo_fail(e, pid, "files", "", ENOENT,
				 "fd %d of process %d is %s, but that path reaches %s here (a file system mounted over it, or a mount namespace of its own?): "
				 "cannot save it by reference", f->r.fd, pid, f->path, err ? "nothing" : "another file");
	return 0;
}

/* A memfd or a deleted file: saved by content (files_link_tree). */
static int classify_shmem(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	if (S_ISREG(st->st_mode) && refuse_pathless(pid, f, e))
		return -1;
	if (!S_ISREG(st->st_mode) || (strncmp(f->path, "/memfd:", 7) && !is_deleted(f->path)))
		return 0;
	f->r.kind = CRYO_FD_SHMEM;
	return 1;
}

static int classify_regular(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0;
	if (is_deleted(f->path))
		return cryo_fail(e, pid, "files", "", ENOENT,
				 "fd %d of process %d is %s, which was deleted: cannot save it by reference", f->r.fd, pid, f->path);
	if (refuse_covered(pid, f, st, e))
		return -1;
	f->r.kind = CRYO_FD_REGULAR;
	return S_ISREG(st->st_mode) && locks_capture(pid, f, e) ? -1 : 1;
}

static int classify_device(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	if (!S_ISCHR(st->st_mode) || !is_reopenable_device(f->path))
		return 0;
	f->r.kind = CRYO_FD_DEVICE;
	return 1;
}

/* stdin/out/err on another device (a terminal): becomes cr_restart's own, as in BLCR. */
static int classify_inherit(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	if (f->r.fd > 2 || !S_ISCHR(st->st_mode))
		return 0;
	f->r.kind = CRYO_FD_INHERIT;
	return 1;
}

static int add_fd(pid_t pid, struct snapshot *s, int fd, size_t *cap, struct cryo_error *e)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	struct fd_rec f = {0};

	snprintf(link, sizeof(link), "fd/%d", fd);
	if (proc_readlink(pid, link, path, sizeof(path), e))
		return -1;
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	if (stat(link, &st) < 0)
		return cryo_fail_errno(e, pid, "files", "stat", "cannot look at fd %d of process %d (%s)", fd, pid, path);
	f.r.fd = fd;
	f.r.parent_fd = -1;
	if (read_fdinfo(pid, fd, &f.r.pos, &f.r.open_flags, e))
		return -1;
	f.r.fd_flags = f.r.open_flags & O_CLOEXEC ? FD_CLOEXEC : 0;
	f.r.open_flags &= ~(uint32_t)O_CLOEXEC;
	f.r.file = (struct cryo_file_id){ st.st_dev, st.st_ino, (uint64_t)st.st_size,
					  st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_mode, 0 };
	if (!(f.path = snap_strdup(path)))
		return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
	if (fdtypes_classify(pid, &f, &st, e)) {
		free(f.path);
		free(f.detail);
		return -1;
	}
	if ((size_t)s->nr_fds == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		struct fd_rec *n = realloc(s->fds, *cap * sizeof(*n));
		if (!n) {
			free(f.path);
			return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
		}
		s->fds = n;
	}
	s->fds[s->nr_fds++] = f;
	return 0;
}

static int by_fd(const void *a, const void *b)
{
	return ((const struct fd_rec *)a)->r.fd - ((const struct fd_rec *)b)->r.fd;
}

/* dup'ed descriptors share one open file and one offset: find them */
static void find_shared_open_files(pid_t pid, struct snapshot *s)
{
	for (int i = 0; i < s->nr_fds; i++) {
		s->fds[i].r.dup_of = -1;
		for (int j = 0; j < i; j++)
			if (s->fds[j].r.dup_of < 0 &&
			    syscall(SYS_kcmp, pid, pid, KCMP_FILE, s->fds[j].r.fd, s->fds[i].r.fd) == 0) {
				s->fds[i].r.dup_of = s->fds[j].r.fd;
				break;
			}
	}
}

int files_capture(pid_t pid, struct snapshot *s, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return cryo_fail_errno(e, pid, "files", "opendir", "cannot list the open files of process %d", pid);
	size_t cap = 0;
	int rc = 0;
	for (struct dirent *de; !rc && (de = readdir(d));)
		if (de->d_name[0] != '.' && !dirty_is_tracker_fd(pid, atoi(de->d_name)))   /* Cryo's own: never saved */
			rc = add_fd(pid, s, atoi(de->d_name), &cap, e);
	closedir(d);
	if (!rc && s->nr_fds) {
		qsort(s->fds, (size_t)s->nr_fds, sizeof(*s->fds), by_fd);
		find_shared_open_files(pid, s);
	}
	return rc;
}

/* ---- what a tree shares ---- */

static int same_open_file(pid_t a, int fa, pid_t b, int fb)
{
	return syscall(SYS_kcmp, a, b, KCMP_FILE, fa, fb) == 0;
}

/* fd f of child is the very open file its parent holds as some fd: it came by fork */
static void find_inherited(const struct snapshot *parent, const struct snapshot *child, struct fd_rec *f)
{
	for (int pass = 0; pass < 2; pass++)          /* the same number first */
		for (int i = 0; i < parent->nr_fds; i++) {
			int pfd = parent->fds[i].r.fd;
			if ((pass == 0) != (pfd == f->r.fd))
				continue;
			if (same_open_file(parent->proc.pid, pfd, child->proc.pid, f->r.fd)) {
				f->r.kind = CRYO_FD_PARENT;
				f->r.parent_fd = pfd;
				return;
			}
		}
}

/* A late kind's fd f of child that is the very open file its parent holds
 * as a fd of the same kind (pidfd, /proc file, O_PATH): parent_fd says which. */
static void note_shared_with_parent(const struct tree *t, const struct snapshot *parent, const struct snapshot *child,
				    struct fd_rec *f)
{
	(void)t;
	for (int i = 0; parent && i < parent->nr_fds; i++) {
		const struct fd_rec *p = &parent->fds[i];
		if (p->r.kind == f->r.kind && same_open_file(parent->proc.pid, p->r.fd, child->proc.pid, f->r.fd)) {
			f->r.parent_fd = p->r.dup_of >= 0 ? p->r.dup_of : p->r.fd;
			return;
		}
	}
}

static int have_shmem_file(const struct tree *t, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < t->nr_shmem_files; i++)
		if (t->shmem_files[i].r.dev == dev && t->shmem_files[i].r.ino == ino)
			return 1;
	return 0;
}

static int add_shmem_file(struct tree *t, const struct shmem_file_rec *m)
{
	struct shmem_file_rec *grown = realloc(t->shmem_files, (size_t)(t->nr_shmem_files + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->shmem_files = grown;
	t->shmem_files[t->nr_shmem_files++] = *m;
	return 0;
}

/* Small enough to save, where files go that a program expects to lose
 * when the node reboots or a cleaner passes (a JVM's hsperfdata). */
#define TMP_FILE_SAVED_MAX (1u << 20)

/* Bytes of data (not holes) a deleted file may have to be saved by content
 * (files.deleted.max in cryo.conf, $CRYO_DELETED_FILE_MAX). */
static uint64_t deleted_file_max(void)
{
	return cryo_config_bytes("files.deleted.max", 64ULL << 20);
}

static int add_extent(struct shmem_file_rec *m, uint64_t off, uint64_t len)
{
	uint64_t *grown = realloc(m->extents, (size_t)(m->nr_extents + 1) * 2 * sizeof(*grown));
	if (!grown)
		return -1;
	m->extents = grown;
	m->extents[2 * m->nr_extents] = off;
	m->extents[2 * m->nr_extents + 1] = len;
	m->nr_extents++;
	m->data_len += len;
	return 0;
}

/* Where fd's data is (SEEK_DATA/SEEK_HOLE; all of it where the file system
 * cannot say): holes stay holes at restart. */
static int find_extents(int fd, struct shmem_file_rec *m)
{
	uint64_t size = m->r.size;
	for (off_t at = 0; (uint64_t)at < size;) {
		off_t data = lseek(fd, at, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0 || (hole = lseek(fd, data, SEEK_HOLE)) < 0) {
			data = at;
			hole = (off_t)size;
		}
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		if (hole > data && add_extent(m, (uint64_t)data, (uint64_t)(hole - data)))
			return -1;
		at = hole > data ? hole : data + 1;
	}
	return 0;
}

static int read_extents(int fd, struct shmem_file_rec *m)
{
	if (!(m->contents = malloc(m->data_len ? m->data_len : 1)))
		return -1;
	char *to = m->contents;
	for (uint64_t i = 0; i < m->nr_extents; i++) {
		uint64_t len = m->extents[2 * i + 1];
		if (pread(fd, to, len, (off_t)m->extents[2 * i]) != (ssize_t)len)
			return -1;
		to += len;
	}
	return 0;
}

static void drop_saved(struct shmem_file_rec *m)
{
	free(m->contents);
	free(m->extents);
	free(m->path);
}

/*
 * A file saved by content (path is /proc/PID/fd/N or map_files/..., a new
 * open file of its own, so that seeking for its holes moves no offset of
 * the process): a deleted file (CRYO_SHMEM_UNLINKED, up to
 * CRYO_DELETED_FILE_MAX bytes of data) or a small file in a tmp directory
 * (CRYO_SHMEM_RECREATE).  what names it for the user.
 */
static int capture_by_content(struct tree *t, pid_t pid, const char *open_path, const char *path, uint32_t flags,
			      const char *what, struct cryo_error *e)
{
	/* a tmp file is opened by its name, which anyone may have replaced meanwhile by a link or a FIFO */
	int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (flags & CRYO_SHMEM_RECREATE ? O_NOFOLLOW : 0));
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 &&
	    (!S_ISREG(st.st_mode) || (flags & CRYO_SHMEM_RECREATE && st.st_size > TMP_FILE_SAVED_MAX))) {
		close(fd);
		fd = -1;
		errno = ESTALE;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return cryo_fail(e, pid, "files", "open", err, "cannot read %s (%s of process %d) to save it by content",
				 path, what, pid);
	}
	struct shmem_file_rec m = { .r = { .flags = flags, .dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size } };
	size_t len = strlen(path);
	m.path = strndup(path, is_deleted(path) ? len - 10 : len);   /* without " (deleted)" */
	uint64_t max = deleted_file_max();
	int rc = !m.path || find_extents(fd, &m) ? -1 : 0;
	if (!rc && flags & CRYO_SHMEM_UNLINKED && m.data_len > max) {
		close(fd);
		cryo_fail(e, pid, "files", "", EFBIG,
			  "%s of process %d is %s, %s, with %llu bytes of data: more than the %llu Cryo saves "
			  "(set CRYO_DELETED_FILE_MAX, e.g. CRYO_DELETED_FILE_MAX=4G, to raise it)", what, pid, m.path,
			  is_deleted(path) ? "deleted" : "to be saved by content (--save-shared)",
			  (unsigned long long)m.data_len, (unsigned long long)max);
		drop_saved(&m);
		return -1;
	}
	if (!rc)
		rc = read_extents(fd, &m) || add_shmem_file(t, &m) ? -1 : 0;
	int err = errno;
	close(fd);
	if (rc) {
		drop_saved(&m);
		return cryo_fail(e, pid, "files", "pread", err ? err : EIO, "cannot save %s (%s of process %d) by content",
				 path, what, pid);
	}
	return 0;
}

static int is_memory_object_path(const char *path)
{
	return !strncmp(path, "/memfd:", 7) || !strncmp(path, "/dev/shm/", 9);
}

/* A memfd or unlinked shm file held open: its contents, once per object. */
static int capture_shmem_file(struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	if (have_shmem_file(t, f->r.file.dev, f->r.file.ino))
		return 0;
	if (!is_memory_object_path(f->path)) {
		char open_path[64], what[32];
		snprintf(open_path, sizeof(open_path), "/proc/%d/fd/%d", pid, f->r.fd);
		snprintf(what, sizeof(what), "fd %d", f->r.fd);
		return capture_by_content(t, pid, open_path, f->path, CRYO_SHMEM_UNLINKED, what, e);
	}
	int fd = proc_dup_fd(pid, f->r.fd, e);
	if (fd < 0)
		return -1;
	struct shmem_file_rec m = { .r = { .dev = f->r.file.dev, .ino = f->r.file.ino, .size = f->r.file.size } };
	m.contents = malloc(m.r.size ? m.r.size : 1);
	ssize_t n = m.contents ? pread(fd, m.contents, m.r.size, 0) : -1;
	close(fd);
	struct shmem_file_rec *grown = n == (ssize_t)m.r.size
		? realloc(t->shmem_files, (size_t)(t->nr_shmem_files + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(m.contents);
		return cryo_fail(e, pid, "files", "pread", errno ? errno : EIO, "cannot read %s (fd %d of process %d)",
				 f->path, f->r.fd, pid);
	}
	t->shmem_files = grown;
	t->shmem_files[t->nr_shmem_files++] = m;
	return 0;
}

static int link_inherit(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	const struct snapshot *s = &t->procs[k];
	if (tree_is_root(t, s))
		return 0;
	return cryo_fail(e, s->proc.pid, "files", "", ENOTSUP,
			 "fd %d of process %d is %s, which it did not get from its parent: not supported yet",
			 f->r.fd, s->proc.pid, f->path);
}

static int link_shmem(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	pid_t pid = t->procs[k].proc.pid;
	return (!strncmp(f->path, "/memfd:", 7) && memfd_capture(pid, t, f, e)) || capture_shmem_file(t, pid, f, e) ? -1 : 0;
}

static int link_one(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	struct snapshot *s = &t->procs[k];
	const struct fd_ops *ops = fd_ops_of(f->r.kind);
	/* a kind made once the whole tree exists is never CRYO_FD_PARENT (it is made after its holder,
	 * and may name a process made later): the parent's fd it shares is noted, and it is taken from
	 * the parent then (pathfds_take_from_parent) */
	if (!tree_is_root(t, s) && f->r.dup_of < 0 && !(ops && ops->after_tree))
		find_inherited(tree_find(t, s->proc.ppid), s, f);
	else if (!tree_is_root(t, s) && f->r.dup_of < 0)
		note_shared_with_parent(t, tree_find(t, s->proc.ppid), s, f);
	ops = fd_ops_of(f->r.kind);
	if (!ops)
		return cryo_fail(e, s->proc.pid, "files", "", ENOTSUP,
				 "fd %d of process %d is %s: Cryo cannot save this kind of file yet", f->r.fd, s->proc.pid, f->path);
	return ops->link_tree ? ops->link_tree(t, k, f, e) : 0;
}

static int in_tmp_directory(const char *path)
{
	return !strncmp(path, "/tmp/", 5) || !strncmp(path, "/var/tmp/", 9) || !strncmp(path, "/dev/shm/", 9);
}

/* Mappings whose file may be gone at restart: a deleted file mapped shared,
 * by content (recreated unlinked); a small file in a tmp directory mapped
 * shared, by content too (recreated at its path if it is gone by then). */
static int capture_mapped_files(struct tree *t, int k, struct cryo_error *e)
{
	const struct snapshot *s = &t->procs[k];
	pid_t pid = s->proc.pid;
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct vma_rec *v = &s->vmas[i];
		char open_path[96], what[64];
		uint32_t flags = 0;
		if (v->r.kind == CRYO_VMA_ANON_SHARED && v->r.flags & CRYO_VMA_FILE_GONE)
			flags = CRYO_SHMEM_UNLINKED;
		else if (v->r.kind == CRYO_VMA_FILE_SHARED && in_tmp_directory(v->path) && v->r.file.size <= TMP_FILE_SAVED_MAX)
			flags = CRYO_SHMEM_RECREATE;
		if (!flags || have_shmem_file(t, v->r.file.dev, v->r.file.ino))
			continue;
		snprintf(open_path, sizeof(open_path), "/proc/%d/map_files/%llx-%llx", pid,
			 (unsigned long long)v->r.start, (unsigned long long)v->r.end);
		snprintf(what, sizeof(what), "the mapping at %#llx", (unsigned long long)v->r.start);
		int recreate = flags & CRYO_SHMEM_RECREATE;
		/* a file saved by content on request is still there: read by its name (no privilege needed) */
		int by_name = recreate || v->r.flags & CRYO_VMA_BY_CONTENT;
		if (capture_by_content(t, pid, by_name ? v->path : open_path, v->path, flags, what, e)) {
			if (!recreate)
				return -1;
			continue;           /* an extra, not a need: it stays a file by reference */
		}
		struct shmem_file_rec *m = &t->shmem_files[t->nr_shmem_files - 1];
		if (m->r.dev == v->r.file.dev && m->r.ino == v->r.file.ino)
			continue;
		if (!recreate)
			return cryo_fail(e, pid, "memory", "", ESTALE, "process %d maps %s, which was replaced while it was saved",
					 pid, v->path);
		drop_saved(m);          /* another file has its name now: not what is mapped */
		t->nr_shmem_files--;
	}
	return 0;
}

int files_link_tree(struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++) {
		for (int i = 0; i < t->procs[k].nr_fds; i++)
			if (link_one(t, k, &t->procs[k].fds[i], e) || fdowners_link(t, &t->procs[k], &t->procs[k].fds[i], e))
				return -1;
		if (capture_mapped_files(t, k, e))
			return -1;
	}
	return memfd_check_mapped(t, e);
}

/* ---- restore ---- */

/* The tree being checked, for the file hashes it recorded: the descriptor
 * kinds' check functions (fdtypes.h) take a descriptor only. */
static const struct tree *checking;

static int check_one(const char *what, const char *path, const struct cryo_file_id *id, int must_be_unchanged,
		     struct cryo_error *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return cryo_fail_errno(e, 0, what, "stat", "%s %s is gone since the checkpoint (use --relocate OLD=NEW if it moved)", what, path);
	if ((st.st_mode & S_IFMT) != (id->mode & S_IFMT))
		return cryo_fail(e, 0, what, "", ESTALE, "%s %s is no longer the same kind of file", what, path);
	if (must_be_unchanged && S_ISREG(st.st_mode))
		return filehash_check(checking, what, path, id, &st, e);
	return 0;
}

static int check_by_reference(const struct fd_rec *f, relocate_fn relocate, struct cryo_error *e);

/* Pages of the executable come from it only if a mapping of it is by
 * reference: one deleted since it started, or saved by content
 * (--save-exe), is in the image whole. */
static int exe_mapped_by_reference(const struct snapshot *s)
{
	size_t exe_len = strlen(s->exe);
	if (exe_len > 10 && !strcmp(s->exe + exe_len - 10, " (deleted)"))
		return 0;
	for (int i = 0; i < s->nr_vmas; i++)
		if ((s->vmas[i].r.kind == CRYO_VMA_FILE_PRIVATE || s->vmas[i].r.kind == CRYO_VMA_FILE_SHARED) &&
		    !strcmp(s->vmas[i].path, s->exe))
			return 1;
	return 0;
}

int files_check(const struct tree *t, const struct snapshot *s, relocate_fn relocate, struct cryo_error *e)
{
	char buf[PATH_MAX];
	checking = t;
	if (exe_mapped_by_reference(s) && check_one("executable", relocate(s->exe, buf, sizeof(buf)), &s->proc.exe_id, 1, e))
		return -1;
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct vma_rec *v = &s->vmas[i];
		if (v->r.kind != CRYO_VMA_FILE_PRIVATE && v->r.kind != CRYO_VMA_FILE_SHARED)
			continue;
		/* a private mapping's unsaved pages come from the file: it must not have changed */
		if (check_one("mapped file", relocate(v->path, buf, sizeof(buf)), &v->r.file,
			      v->r.kind == CRYO_VMA_FILE_PRIVATE, e))
			return -1;
	}
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_ops *ops = fd_ops_of(s->fds[i].r.kind);
		if (ops->check && ops->check(&s->fds[i], relocate, e))
			return -1;
	}
	return 0;
}

/* A file by reference is there, the same kind of file; one only read from, unchanged. */
static int check_by_reference(const struct fd_rec *f, relocate_fn relocate, struct cryo_error *e)
{
	char buf[PATH_MAX], what[48];
	snprintf(what, sizeof(what), "file (fd %d)", f->r.fd);
	/* a file read from must be the one read from; one written to is expected to move on */
	int read_only = (f->r.open_flags & O_ACCMODE) == O_RDONLY && f->r.kind == CRYO_FD_REGULAR;
	return check_one(what, relocate(f->path, buf, sizeof(buf)), &f->r.file, read_only, e);
}

/* ---- restore: one path, in the restorer itself or injected (rexec.h) ---- */

static int close_fds(struct rexec *x, unsigned first, unsigned last, struct cryo_error *e)
{
	if (first > last)
		return 0;
	return rexec_call(x, "files", "close_range", SYS_close_range, first, last, 0, 0, 0, 0, NULL, e,
			  "cannot close fds %u to %u", first, last);
}

static int dup_at(struct rexec *x, int from, const struct fd_rec *f, struct cryo_error *e)
{
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	return rexec_call(x, "files", "dup3", SYS_dup3, from, f->r.fd, cloexec, 0, 0, 0, NULL, e,
			  "cannot put fd %d in place", f->r.fd);
}

/* Open path as f was opened, at f's number; at its offset if seek. */
static int reopen_at(struct rexec *x, const struct fd_rec *f, const char *path, int seek, struct cryo_error *e)
{
	int flags = (int)(f->r.open_flags & ~(uint32_t)(O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY)) | O_NOCTTY | O_CLOEXEC;
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	uint64_t at;
	long tmp;
	if (rexec_put_string(x, 0, path, &at, e) ||
	    rexec_call(x, "files", "open", SYS_openat, AT_FDCWD, (long)at, flags, 0, 0, 0, &tmp, e,
		       "cannot reopen %s as fd %d", path, f->r.fd))
		return -1;
	if (seek && rexec_call(x, "files", "lseek", SYS_lseek, tmp, (long)f->r.pos, SEEK_SET, 0, 0, 0, NULL, e,
			       "cannot restore the offset of %s (fd %d)", path, f->r.fd))
		return -1;
	if (tmp == f->r.fd)
		return cloexec ? 0 : rexec_call(x, "files", "fcntl(F_SETFD)", SYS_fcntl, tmp, F_SETFD, 0, 0, 0, 0, NULL, e,
						"cannot clear close-on-exec of fd %d", f->r.fd);
	return rexec_call(x, "files", "dup3", SYS_dup3, tmp, f->r.fd, cloexec, 0, 0, 0, NULL, e,
			  "cannot put %s at fd %d", path, f->r.fd) ||
	       close_fds(x, (unsigned)tmp, (unsigned)tmp, e);
}

/* A file by reference (regular file, directory, device): by its path, relocated. */
static int restore_by_path(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	char buf[PATH_MAX];
	return reopen_at(x, f, c->relocate(f->path, buf, sizeof(buf)),
			 f->r.kind == CRYO_FD_REGULAR && !S_ISDIR(f->r.file.mode), e);
}

/* The same open file as the parent's: stashed from it (files_restore). */
static int restore_from_parent(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	return dup_at(x, c->stash + f->r.parent_fd, f, e);
}

/* A pipe end, socket pair end or TCP socket: the pool's open file, with the
 * flags of its own (the pool made it without O_NONBLOCK and friends); or a
 * pipe's open file of its own, opened anew on the pool's pipe. */
int files_restore_from_pool(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	int from = fd_ops_of(f->r.kind)->pool_fd(c->t, c->pool, &f->r);
	if (pipes_own_open_file(f)) {
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", from);
		return reopen_at(x, f, self, 0, e);
	}
	return dup_at(x, from, f, e) ||
	       rexec_call(x, "files", "fcntl(F_SETFL)", SYS_fcntl, f->r.fd, F_SETFL, (long)f->r.open_flags, 0, 0, 0, NULL, e,
			  "cannot set the flags of fd %d", f->r.fd);
}

/* A memfd or a file saved by content: an open file of its own on the pool's object, at its offset. */
static int restore_shmem(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	int pool_fd = shmem_pool_fd(c->t, c->pool, f->r.file.dev, f->r.file.ino);
	if (memfd_owns_pool_file(c->t, f))            /* memfd_create's own open file (memfd.h) */
		return dup_at(x, pool_fd, f, e) ||
		       rexec_call(x, "files", "lseek", SYS_lseek, f->r.fd, (long)f->r.pos, SEEK_SET, 0, 0, 0, NULL, e,
				  "cannot restore the offset of %s (fd %d)", f->path, f->r.fd);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pool_fd);
	struct fd_rec as_file = *f;
	as_file.r.open_flags &= ~(uint32_t)O_NOFOLLOW;     /* shm_open's: /proc/self/fd is a link */
	return reopen_at(x, &as_file, self, 1, e);
}

/* stdin/out/err leading outside: the restorer's own; /dev/null where it has none. */
static int restore_inherit(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	long r;
	if (rexec_syscall(x, SYS_fcntl, f->r.fd, F_GETFD, 0, 0, 0, 0, &r, e))
		return -1;
	if (r >= 0)
		return 0;
	struct fd_rec null = { .r = { .kind = CRYO_FD_DEVICE, .fd = f->r.fd, .open_flags = O_RDWR } };
	return reopen_at(x, &null, "/dev/null", 0, e);
}

static int restore_one_fd(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	if (f->r.dup_of >= 0)           /* dup'ed: the same open file as an earlier fd */
		return dup_at(x, f->r.dup_of, f, e);
	return fd_ops_of(f->r.kind)->restore(x, c, f, e);
}

static int inherited_from_restorer(const struct snapshot *s, int fd)
{
	for (int i = 0; i < s->nr_fds; i++)
		if (s->fds[i].r.fd == fd)
			return s->fds[i].r.kind == CRYO_FD_INHERIT;
	return 0;
}

/* keep (if any) goes above the pool, where nothing of the image lands. */
static int move_above_pool(struct rexec *x, int *keep, int above_pool, struct cryo_error *e)
{
	long moved;
	if (*keep >= above_pool)
		return 0;
	if (rexec_call(x, "files", "fcntl(F_DUPFD_CLOEXEC)", SYS_fcntl, *keep, F_DUPFD_CLOEXEC, above_pool, 0, 0, 0, &moved, e,
		       "cannot move a descriptor out of the way") ||
	    close_fds(x, (unsigned)*keep, (unsigned)*keep, e))
		return -1;
	*keep = (int)moved;
	return 0;
}

/*
 * Nothing stays but the pool, keep, the restorer's stdio the image takes
 * as its own (CRYO_FD_INHERIT), and what the parent gave (stashed at
 * c->stash + its number): everything else below and above the pool goes.
 */
static int clear_fd_table(struct rexec *x, struct fd_restore *c, const struct snapshot *s, int *keep,
			  struct cryo_error *e)
{
	int above_pool = c->pool + pool_size(c->t);
	if (keep && move_above_pool(x, keep, above_pool, e))
		return -1;
	int top = keep ? *keep : above_pool - 1;
	c->stash = top + 1 + 128;
	if ((keep && close_fds(x, (unsigned)above_pool, (unsigned)*keep - 1, e)) || close_fds(x, (unsigned)top + 1, ~0U, e))
		return -1;
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (f->r.kind == CRYO_FD_PARENT && f->r.dup_of < 0 &&
		    rexec_call(x, "files", "dup3", SYS_dup3, f->r.parent_fd, c->stash + f->r.parent_fd, O_CLOEXEC, 0, 0, 0, NULL, e,
			       "cannot take fd %d from the parent", f->r.parent_fd))
			return -1;
	}
	for (int fd = 0; fd <= 2; fd++)
		if (!inherited_from_restorer(s, fd) && close_fds(x, (unsigned)fd, (unsigned)fd, e))
			return -1;
	return close_fds(x, 3, (unsigned)c->pool - 1, e);
}

int files_restore(struct rexec *x, const struct tree *t, const struct snapshot *s, relocate_fn relocate, int *keep,
		  struct cryo_error *e)
{
	struct fd_restore c = { .t = t, .s = s, .pool = pipes_pool_base(t), .relocate = relocate };
	if (clear_fd_table(x, &c, s, keep, e))
		return -1;
	for (int i = 0; i < s->nr_fds; i++)
		if (!fd_ops_of(s->fds[i].r.kind)->needs_memory && restore_one_fd(x, &c, &s->fds[i], e))
			return -1;
	return close_fds(x, (unsigned)c.stash, ~0U, e);
}

int files_restore_after_memory(struct rexec *x, const struct tree *t, const struct snapshot *s, relocate_fn relocate,
			       struct cryo_error *e)
{
	struct fd_restore c = { .t = t, .s = s, .pool = pipes_pool_base(t), .relocate = relocate };
	return fdtypes_restore_after_memory(x, &c, s, e);
}

int files_close_pool(struct rexec *x, const struct tree *t, struct cryo_error *e)
{
	int pool = pipes_pool_base(t);
	if (!pool_size(t))
		return 0;
	return close_fds(x, (unsigned)pool, (unsigned)(pool + pool_size(t) - 1), e);
}
/* ---- files saved by content, at restart ---- */

int files_fill_saved(int fd, const struct shmem_file_rec *c, struct cryo_error *e)
{
	if (!c->r.flags)            /* a memory object: its contents whole */
		return c->r.size && pwrite(fd, c->contents, c->r.size, 0) != (ssize_t)c->r.size
			? cryo_fail_errno(e, getpid(), "shared memory", "pwrite", "cannot fill a shared memory object") : 0;
	if (ftruncate(fd, (off_t)c->r.size) < 0)
		return cryo_fail_errno(e, getpid(), "files", "ftruncate", "cannot give %s its %llu bytes", c->path,
				       (unsigned long long)c->r.size);
	const char *from = c->contents;
	for (uint64_t i = 0; i < c->nr_extents; i++) {
		uint64_t len = c->extents[2 * i + 1];
		if (pwrite(fd, from, len, (off_t)c->extents[2 * i]) != (ssize_t)len)
			return cryo_fail_errno(e, getpid(), "files", "pwrite", "cannot write the saved contents of %s", c->path);
		from += len;
	}
	return 0;
}

/* The mode and owner a file saved by content had, from a descriptor or mapping of it. */
static void saved_owner(const struct tree *t, const struct shmem_file_rec *c, mode_t *mode, uid_t *uid, gid_t *gid)
{
	*mode = 0600;
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		for (int i = 0; i < s->nr_fds; i++)
			if (s->fds[i].r.file.dev == c->r.dev && s->fds[i].r.file.ino == c->r.ino) {
				*mode = s->fds[i].r.file.mode & 07777;
				*uid = s->proc.uid[1];
				*gid = s->proc.gid[1];
				return;
			}
		for (int i = 0; i < s->nr_vmas; i++)
			if (s->vmas[i].r.file.dev == c->r.dev && s->vmas[i].r.file.ino == c->r.ino) {
				if (s->vmas[i].r.kind == CRYO_VMA_FILE_SHARED)
					*mode = s->vmas[i].r.file.mode & 07777;
				*uid = s->proc.uid[1];
				*gid = s->proc.gid[1];
				return;
			}
	}
}

/* Root restarting another user's job: the file is the user's again (it may only be allowed to open its own). */
static void give_back(int fd, uid_t uid, gid_t gid)
{
	if (geteuid() == 0 && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)
		return;     /* the mode still lets its owner in: best effort */
}

/* O_TMPFILE in the file's own directory, or a new name there removed at once. */
static int create_unlinked_in(const char *dir, mode_t mode)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char name[PATH_MAX];
	if (snprintf(name, sizeof(name), "%s/.cryo-deleted-XXXXXX", dir) >= (int)sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(name, O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (unlink(name) < 0 || fchmod(fd, mode) < 0) {
		int err = errno;
		unlink(name);
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int files_make_unlinked(const struct tree *t, const struct shmem_file_rec *c, relocate_fn relocate, struct cryo_error *e)
{
	char buf[PATH_MAX], dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", relocate(c->path, buf, sizeof(buf)));
	char *slash = strrchr(dir, '/');
	if (!slash)
		return cryo_fail(e, getpid(), "files", "", EINVAL, "deleted file %s has no directory", c->path);
	*(slash == dir ? slash + 1 : slash) = 0;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	saved_owner(t, c, &mode, &uid, &gid);
	int fd = create_unlinked_in(dir, mode);
	if (fd < 0)
		return cryo_fail_errno(e, getpid(), "files", "open(O_TMPFILE)",
				       "cannot recreate deleted file %s in %s (use --relocate OLD=NEW if the directory moved)", c->path, dir);
	give_back(fd, uid, gid);
	if (files_fill_saved(fd, c, e)) {
		close(fd);
		return -1;
	}
	return fd;
}

int files_recreate_gone(const struct tree *t, relocate_fn relocate, struct cryo_error *e)
{
	char buf[PATH_MAX];
	for (int i = 0; i < t->nr_shmem_files; i++) {
		const struct shmem_file_rec *c = &t->shmem_files[i];
		if (!(c->r.flags & CRYO_SHMEM_RECREATE))
			continue;
		const char *path = relocate(c->path, buf, sizeof(buf));
		mode_t mode;
		uid_t uid;
		gid_t gid;
		saved_owner(t, c, &mode, &uid, &gid);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno == EEXIST)
			continue;           /* still there: it holds the data, as any mapped file */
		if (fd < 0)
			return cryo_fail_errno(e, getpid(), "mapped file", "open", "mapped file %s is gone since the checkpoint "
					       "and cannot be recreated", path);
		give_back(fd, uid, gid);
		int rc = files_fill_saved(fd, c, e);
		close(fd);
		if (rc) {
			unlink(path);
			return -1;
		}
	}
	return 0;
}

/* ---- the kinds of this file (fdtypes.h) ---- */

/* Locks held through a file by reference or one inherited from the parent (locks.c). */
static int complete_locks(struct rexec *x, const struct fd_restore *c, const struct snapshot *s, int i, struct cryo_error *e)
{
	return s->fds[i].r.dup_of >= 0 ? 0 : locks_restore_fd(x->in, x->scratch, s, i, e);
}

static int validate_parent(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return f->r.parent_fd < 0 || f->r.parent_fd > (1 << 20) || !tree_find(t, s->proc.ppid) ? -1 : 0;
}

const struct fd_ops regular_fd_ops = {
	.kind = CRYO_FD_REGULAR, .name = "file", .classify = classify_regular, .check = check_by_reference,
	.restore = restore_by_path, .complete = complete_locks,
};
const struct fd_ops device_fd_ops = {
	.kind = CRYO_FD_DEVICE, .name = "device", .classify = classify_device, .check = check_by_reference,
	.restore = restore_by_path,
};
const struct fd_ops inherit_fd_ops = {
	.kind = CRYO_FD_INHERIT, .name = "restarter's stdio", .classify = classify_inherit, .link_tree = link_inherit,
	.restore = restore_inherit,
};
const struct fd_ops parent_fd_ops = {
	.kind = CRYO_FD_PARENT, .name = "inherited from the parent", .validate = validate_parent,
	.restore = restore_from_parent, .complete = complete_locks,
};
const struct fd_ops shmem_fd_ops = {
	.kind = CRYO_FD_SHMEM, .name = "file by content", .classify = classify_shmem, .link_tree = link_shmem,
	.validate = memfd_validate, .restore = restore_shmem,
};
