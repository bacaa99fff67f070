#include "pipes.h"
#include "memfd.h"
#include "error.h"
#include "proc.h"
#include "sockets.h"
#include "tcp.h"
#include "files.h"
#include "fdtypes.h"
#include "resources.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <unistd.h>

int pipes_parse_link(const char *link, uint64_t *ino)
{
	unsigned long long n;
	char end;
	if (sscanf(link, "pipe:[%llu%c", &n, &end) != 2 || end != ']')
		return 0;
	*ino = n;
	return 1;
}

static int known(const struct tree *t, uint64_t ino)
{
	for (int i = 0; i < t->nr_pipes; i++)
		if (t->pipes[i].r.ino == ino)
			return 1;
	return 0;
}

/* tee(2) duplicates what the pipe holds into a pipe of ours, leaving it in place. */
static int copy_buffer(int src, int capacity, char **data, size_t *len, struct cryo_error *e, pid_t pid)
{
	int tmp[2];
	*data = NULL;
	*len = 0;
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) < 0)
		return cryo_fail_errno(e, pid, "pipes", "pipe2", "cannot create a pipe");
	if (fcntl(tmp[1], F_SETPIPE_SZ, capacity) < 0) {
		close(tmp[0]);
		close(tmp[1]);
		return cryo_fail_errno(e, pid, "pipes", "fcntl(F_SETPIPE_SZ)", "cannot size a pipe to %d bytes", capacity);
	}
	ssize_t n = tee(src, tmp[1], (size_t)capacity, SPLICE_F_NONBLOCK);
	int rc = 0;
	if (n < 0 && errno != EAGAIN) {
		rc = cryo_fail_errno(e, pid, "pipes", "tee", "cannot read the buffer of a pipe of process %d", pid);
	} else if (n > 0) {
		*data = malloc((size_t)n);
		if (!*data || read(tmp[0], *data, (size_t)n) != n)
			rc = cryo_fail(e, pid, "pipes", "read", errno ? errno : EIO, "cannot copy a pipe's buffer");
		else
			*len = (size_t)n;
	}
	close(tmp[0]);
	close(tmp[1]);
	return rc;
}

int pipes_capture(struct tree *t, pid_t pid, int fd, uint64_t ino, const char *fifo_path, struct cryo_error *e)
{
	char path[64];
	if (known(t, ino))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	/* a new read end of the same pipe: the process's own descriptors are untouched */
	int src = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src < 0)
		return cryo_fail_errno(e, pid, "pipes", "open", "cannot open pipe %s", path);
	int capacity = fcntl(src, F_GETPIPE_SZ);
	struct pipe_rec p = { .r = { .capacity = capacity > 0 ? (uint32_t)capacity : 65536, .ino = ino } };
	size_t len;
	int rc = copy_buffer(src, (int)p.r.capacity, &p.data, &len, e, pid);
	close(src);
	if (rc)
		return -1;
	p.r.data_len = len;
	p.fifo_path = strdup(fifo_path ? fifo_path : "");
	struct pipe_rec *grown = realloc(t->pipes, (size_t)(t->nr_pipes + 1) * sizeof(*grown));
	if (!grown) {
		free(p.data);
		return cryo_fail(e, pid, "pipes", "malloc", ENOMEM, "out of memory");
	}
	t->pipes = grown;
	t->pipes[t->nr_pipes++] = p;
	return 0;
}

/* poll() on the process's own open file (not a new one: a FIFO opened
 * non-blocking hides POLLHUP until it has seen a writer) tells what the
 * kernel counts: POLLHUP on a read end once no writer is left anywhere,
 * POLLERR on a write end once no reader is. */
int pipes_other_end_closed(pid_t pid, int fd, int read_end, struct cryo_error *e)
{
	int copy = proc_dup_fd(pid, fd, e);
	if (copy < 0)
		return -1;
	struct pollfd p = { .fd = copy, .events = read_end ? POLLIN : POLLOUT };
	int n = poll(&p, 1, 0);
	int err = errno;
	close(copy);
	if (n < 0)
		return cryo_fail(e, pid, "pipes", "poll", err, "cannot look at the pipe at fd %d of process %d", fd, pid);
	return (p.revents & (read_end ? POLLHUP : POLLERR)) != 0;
}

int pipes_own_open_file(const struct fd_rec *f)
{
	struct cryo_fd_pipe d;
	if (f->r.kind != CRYO_FD_PIPE || f->detail_len < sizeof(d))
		return 0;
	memcpy(&d, f->detail, sizeof(d));
	return d.own_open_file == 1;
}

static int same_pipe_end(const struct fd_rec *a, const struct fd_rec *b)
{
	return a->r.kind == CRYO_FD_PIPE && a->r.dup_of < 0 && a->r.file.ino == b->r.file.ino &&
	       (a->r.open_flags & O_ACCMODE) == (b->r.open_flags & O_ACCMODE);
}

static uint32_t pipe_flags(const struct fd_rec *f)
{
	struct cryo_fd_pipe d;
	if (f->r.kind != CRYO_FD_PIPE || f->detail_len < sizeof(d))
		return 0;
	memcpy(&d, f->detail, sizeof(d));
	return d.flags;
}

static int set_pipe_detail(struct fd_rec *f, uint32_t own_open_file, uint32_t flags, pid_t pid, struct cryo_error *e)
{
	struct cryo_fd_pipe d = { .own_open_file = own_open_file, .flags = flags };
	free(f->detail);
	if (!(f->detail = malloc(sizeof(d))))
		return cryo_fail(e, pid, "pipes", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	return 0;
}

static int set_own_open_file(struct fd_rec *f, pid_t pid, struct cryo_error *e)
{
	struct cryo_fd_pipe d = { .own_open_file = 1, .flags = pipe_flags(f) };
	free(f->detail);
	if (!(f->detail = malloc(sizeof(d))))
		return cryo_fail(e, pid, "pipes", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	return 0;
}

int pipes_note_open_file(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	pid_t pid = t->procs[k].proc.pid;
	int pool_taken = (f->r.open_flags & O_ACCMODE) == O_RDWR;   /* the pool has no O_RDWR end */
	if (f->r.dup_of >= 0)
		return 0;
	for (int k2 = 0; k2 <= k; k2++)
		for (int i = 0; i < t->procs[k2].nr_fds; i++) {
			const struct fd_rec *g = &t->procs[k2].fds[i];
			if (g == f)
				goto done;
			if (!same_pipe_end(g, f))
				continue;
			pid_t gpid = t->procs[k2].proc.pid;
			if (syscall(SYS_kcmp, gpid, pid, KCMP_FILE, g->r.fd, f->r.fd) == 0) {
				if (!pipes_own_open_file(g))
					return 0;           /* the pool's open file, shared */
				return cryo_fail(e, pid, "pipes", "", ENOTSUP,
						 "fd %d of process %d shares an open file of %s with fd %d of process %d "
						 "that was not inherited: cannot restore it", f->r.fd, pid, f->path, g->r.fd, gpid);
			}
			if (!pipes_own_open_file(g))
				pool_taken = 1;
		}
done:
	return pool_taken ? set_own_open_file(f, pid, e) : 0;
}

int pipes_pool_base(const struct tree *t)
{
	int hi = 2;
	for (int i = 0; i < t->nr; i++)
		for (int f = 0; f < t->procs[i].nr_fds; f++) {
			const struct cryo_fd *r = &t->procs[i].fds[f].r;
			if (r->fd > hi)
				hi = r->fd;
			if (r->kind == CRYO_FD_PARENT && r->parent_fd > hi)
				hi = r->parent_fd;
		}
	return hi + 1;
}

int shmem_pool_fd(const struct tree *t, int pool_base, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < t->nr_shmem; i++)
		if (t->shmem[i].ino == ino && t->shmem[i].dev == dev)
			return pool_first(t, pool_base, &shmem_files_resource) + i;
	return -1;
}

static const struct shmem_file_rec *saved_contents(const struct tree *t, const struct shmem_obj *o)
{
	for (int f = 0; f < t->nr_shmem_files; f++)
		if (t->shmem_files[f].r.dev == o->dev && t->shmem_files[f].r.ino == o->ino)
			return &t->shmem_files[f];
	return NULL;
}

static int create_shmem(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e)
{
	pid_t self = getpid();
	for (int i = 0; i < t->nr_shmem; i++) {
		const struct shmem_file_rec *c = saved_contents(t, &t->shmem[i]);
		int fd;
		if (c && c->r.flags & CRYO_SHMEM_UNLINKED) {       /* a deleted file: one again (files.c) */
			if ((fd = files_make_unlinked(t, c, relocate, e)) < 0)
				return -1;
		} else {
			if ((fd = memfd_create_for(t, &t->shmem[i], e)) < 0)
				return -1;
			if (ftruncate(fd, (off_t)t->shmem[i].size) < 0)
				return cryo_fail_errno(e, self, "shared memory", "ftruncate", "cannot size shared memory to %llu bytes",
						       (unsigned long long)t->shmem[i].size);
			if ((c && files_fill_saved(fd, c, e)) || memfd_seal(t, &t->shmem[i], fd, e))
				return -1;
		}
		int at = first + i;
		if (fd != at && (dup3(fd, at, O_CLOEXEC) < 0 || close(fd) < 0))
			return cryo_fail_errno(e, self, "shared memory", "dup3", "cannot place shared memory at fd %d", at);
	}
	return 0;
}

int pipes_pool_fd(const struct tree *t, int pool_base, const struct cryo_fd *f)
{
	for (int i = 0; i < t->nr_pipes; i++)
		if (t->pipes[i].r.ino == f->file.ino)
			return pool_first(t, pool_base, &pipes_resource) + 2 * i + ((f->open_flags & O_ACCMODE) == O_RDONLY ? 0 : 1);
	return -1;
}

/* Both ends go to their pool numbers by way of descriptors above the pool,
 * so that neither lands on the other's number on the way. */
static int place(int fds[2], int at, int above, struct cryo_error *e)
{
	int high[2];
	for (int i = 0; i < 2; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, above);
		close(fds[i]);
	}
	int rc = 0;
	if (high[0] < 0 || high[1] < 0 || dup3(high[0], at, O_CLOEXEC) < 0 || dup3(high[1], at + 1, O_CLOEXEC) < 0)
		rc = cryo_fail_errno(e, getpid(), "pipes", "dup3", "cannot place a pipe at fds %d and %d", at, at + 1);
	for (int i = 0; i < 2; i++)
		if (high[i] >= 0)
			close(high[i]);
	return rc;
}

/* A FIFO whose path was unlinked ("PATH (deleted)"): made again beside its
 * old path under a name of its own, to be unlinked once opened, as it was.
 * Else its own path.  made: PATH_MAX bytes. */
static int fifo_to_open(const struct pipe_rec *p, char *made, const char **path, struct cryo_error *e)
{
	size_t len = strlen(p->fifo_path);
	*path = p->fifo_path;
	if (len <= 10 || strcmp(p->fifo_path + len - 10, " (deleted)"))
		return 0;
	if (snprintf(made, PATH_MAX, "%.*s.cryo-%d", (int)(len - 10), p->fifo_path, (int)getpid()) >= PATH_MAX ||
	    mkfifo(made, 0600) < 0)
		return cryo_fail_errno(e, getpid(), "pipes", "mkfifo", "cannot make the unlinked FIFO %s again", p->fifo_path);
	*path = made;
	return 0;
}

/* A pipe, or the pipe behind a FIFO: opened for reading first (non-blocking,
 * so no writer is needed), then for writing (a reader exists now). */
static int open_pipe(const struct pipe_rec *p, int no_writer, int fds[2], struct cryo_error *e)
{
	pid_t self = getpid();
	if (!p->fifo_path || !*p->fifo_path) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return cryo_fail_errno(e, self, "pipes", "pipe2", "cannot create a pipe");
		return 0;
	}
	char made[PATH_MAX];
	const char *path;
	if (fifo_to_open(p, made, &path, e))
		return -1;
	fds[0] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* no_writer: the write slot holds the reader too, no end of the tree writes */
	fds[1] = fds[0] < 0 ? -1 : no_writer ? fcntl(fds[0], F_DUPFD_CLOEXEC, 0)
					   : open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	int err = errno;
	if (path == made)
		unlink(made);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		return cryo_fail(e, self, "pipes", "open", err, "cannot open FIFO %s", p->fifo_path);
	}
	if (!no_writer) {
		fcntl(fds[0], F_SETFL, 0);
		fcntl(fds[1], F_SETFL, 0);
	}
	return 0;
}

/* Whether every end the tree has of pipe ino is a reader that never saw a
 * writer (one that saw its writer leave, POLLHUP, wants the writer made and
 * closed again; then all see the hang-up). */
static int no_writer_seen(const struct tree *t, uint64_t ino)
{
	int seen = 0;
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			if (f->r.kind != CRYO_FD_PIPE || f->r.file.ino != ino || f->r.dup_of >= 0)
				continue;
			if (!(pipe_flags(f) & CRYO_PIPE_NO_WRITER_SEEN))
				return 0;
			seen = 1;
		}
	return seen;
}

static int create_pipes(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e)
{
	pid_t self = getpid();
	for (int i = 0; i < t->nr_pipes; i++) {
		const struct pipe_rec *p = &t->pipes[i];
		int fds[2], no_writer = !p->r.data_len && no_writer_seen(t, p->r.ino);
		if (open_pipe(p, no_writer, fds, e))
			return -1;
		if (fcntl(fds[1], F_SETPIPE_SZ, (int)p->r.capacity) < 0 && p->r.data_len > 65536)
			return cryo_fail_errno(e, self, "pipes", "fcntl(F_SETPIPE_SZ)", "cannot give a pipe its %u bytes", p->r.capacity);
		if (p->r.data_len && write(fds[1], p->data, p->r.data_len) != (ssize_t)p->r.data_len)
			return cryo_fail_errno(e, self, "pipes", "write", "cannot put %llu bytes back into a pipe",
					       (unsigned long long)p->r.data_len);
		if (place(fds, first + 2 * i, above, e))
			return -1;
	}
	return 0;
}

static int pipes_slots(const struct tree *t)
{
	return 2 * t->nr_pipes;
}

const struct resource_ops pipes_resource = {
	.section = CRYO_SEC_PIPES, .name = "pipes", .write = tree_write_pipes, .read = tree_read_pipes,
	.free = tree_free_pipes, .pool_slots = pipes_slots, .create_in_pool = create_pipes,
};

static int shmem_slots(const struct tree *t)
{
	return t->nr_shmem;
}

/* Shared memory objects (from the mappings and SHMEM_FILES) and files saved by content. */
const struct resource_ops shmem_files_resource = {
	.section = CRYO_SEC_SHMEM_FILES, .name = "shared memory and files by content", .write = tree_write_shmem_files,
	.read = tree_read_shmem_files, .free = tree_free_shmem_files, .pool_slots = shmem_slots,
	.create_in_pool = create_shmem,
};

/* ---- the pipe kind (fdtypes.h) ---- */

static int classify_pipe(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	uint64_t ino;
	if (!S_ISFIFO(st->st_mode))
		return 0;
	f->r.kind = CRYO_FD_PIPE;           /* inside the tree, or leading out: see link_pipe */
	f->r.file.ino = pipes_parse_link(f->path, &ino) ? ino : (uint64_t)st->st_ino;
	return 1;
}

/* Ends of pipe ino found among the tree's pipe descriptors. */
static void pipe_ends(const struct tree *t, uint64_t ino, int *readers, int *writers)
{
	*readers = *writers = 0;
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct cryo_fd *r = &t->procs[k].fds[i].r;
			if (r->kind == CRYO_FD_PIPE && r->file.ino == ino) {
				*readers += (r->open_flags & O_ACCMODE) != O_WRONLY;
				*writers += (r->open_flags & O_ACCMODE) != O_RDONLY;
			}
		}
}

/* The pipe's data, once, and which of its open files f is; a FIFO keeps its
 * path: it is reopened through it. */
static int capture_in_tree(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	uint64_t ino;
	return pipes_capture(t, t->procs[k].proc.pid, f->r.fd, f->r.file.ino, pipes_parse_link(f->path, &ino) ? NULL : f->path, e) ||
	       pipes_note_open_file(t, k, f, e) ? -1 : 0;
}

static int in_tree(pid_t pid, const void *arg)
{
	const struct tree *t = arg;
	for (int k = 0; k < t->nr; k++)
		if (t->procs[k].proc.pid == pid)
			return 1;
	return 0;
}

static int is_fifo(const struct fd_rec *f)
{
	uint64_t ino;
	return !pipes_parse_link(f->path, &ino);
}

static int link_pipe(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	pid_t pid = t->procs[k].proc.pid;
	int readers, writers;
	pipe_ends(t, f->r.file.ino, &readers, &writers);
	if (readers && writers)
		return capture_in_tree(t, k, f, e);
	if (tree_is_root(t, &t->procs[k]) && f->r.fd <= 2) {
		f->r.kind = CRYO_FD_INHERIT;        /* a pipe to the outside: cr_restart's own */
		return 0;
	}
	/* no other end anywhere: the pool's comes back and is closed, so the
	 * reader gets the data then EOF, the writer EPIPE */
	int closed = pipes_other_end_closed(pid, f->r.fd, readers > 0, e);
	if (closed)
		return closed < 0 ? -1 : capture_in_tree(t, k, f, e);
	/* A FIFO's reader that has never seen a writer gets no POLLHUP (Open
	 * MPI's debugger_attach_fifo, opened O_NONBLOCK and waited on): only the
	 * node's processes can say whether anyone holds the other end. */
	int holder_fd = -1;
	pid_t holder = proc_find_holder(f->r.file.dev, f->r.file.ino, readers ? O_WRONLY : O_RDONLY, in_tree, t,
					&holder_fd);
	if (!holder && is_fifo(f) && readers)
		return set_pipe_detail(f, 0, CRYO_PIPE_NO_WRITER_SEEN, pid, e) || capture_in_tree(t, k, f, e) ? -1 : 0;
	if (!holder)
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "fd %d of process %d is %s, leading to a process outside the checkpoint", f->r.fd, pid, f->path);
	char who[128];
	proc_describe(holder, who, sizeof(who));
	return cryo_fail(e, pid, "files", "", ENOTSUP,
			 "fd %d of process %d is %s, whose other end is fd %d of %s, outside the checkpoint", f->r.fd, pid,
			 f->path, holder_fd, who);
}

static int validate_pipe(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	for (int i = 0; i < t->nr_pipes; i++)
		if (t->pipes[i].r.ino == f->r.file.ino)
			return 0;
	return -1;
}

const struct fd_ops pipe_fd_ops = {
	.kind = CRYO_FD_PIPE, .name = "pipe", .classify = classify_pipe, .link_tree = link_pipe,
	.validate = validate_pipe, .restore = files_restore_from_pool, .pool_fd = pipes_pool_fd,
};
