/* memfd.h */
#include "memfd.h"
#include "error.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#define KNOWN_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
#define NAME_MAX_MEMFD 249          /* memfd_create's limit */

/* Does a process of t map the object? */
static int maps_object(const struct tree *t, uint64_t dev, uint64_t ino)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_vmas; i++) {
			const struct cryo_vma *v = &t->procs[k].vmas[i].r;
			if (v->kind == CRYO_VMA_ANON_SHARED && v->file.dev == dev && v->file.ino == ino)
				return 1;
		}
	return 0;
}

int memfd_capture(pid_t pid, const struct tree *t, struct fd_rec *f, struct cryo_error *e)
{
	int fd = proc_dup_fd(pid, f->r.fd, e);
	if (fd < 0)
		return -1;
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	int err = errno, ok = seals >= 0 && fstat(fd, &st) == 0;
	close(fd);
	if (!ok)
		return cryo_fail(e, pid, "files", "fcntl(F_GET_SEALS)", err, "cannot read the seals of fd %d of process %d (%s)",
				 f->r.fd, pid, f->path);
	if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) && maps_object(t, f->r.file.dev, f->r.file.ino))
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "fd %d of process %d is %s, sealed against writing and mapped: Cryo cannot restore that mapping",
				 f->r.fd, pid, f->path);
	struct cryo_fd_memfd d = { (uint32_t)seals, st.st_mode & 07777 };
	free(f->detail);
	f->detail = malloc(sizeof(d));
	if (!f->detail)
		return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	return 0;
}

int memfd_validate(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	if (!f->detail_len)
		return 0;               /* an older file, or not a memfd */
	if (f->detail_len != sizeof(struct cryo_fd_memfd) || strncmp(f->path, "/memfd:", 7))
		return -1;
	struct cryo_fd_memfd d;
	memcpy(&d, f->detail, sizeof(d));
	return d.seals & ~KNOWN_SEALS || d.mode & ~07777u ? -1 : 0;
}

/* A descriptor of the tree that recorded o's memfd attributes, or NULL. */
static const struct fd_rec *recorded(const struct tree *t, const struct shmem_obj *o)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *f = &t->procs[k].fds[i];
			if (f->r.kind == CRYO_FD_SHMEM && f->r.file.dev == o->dev && f->r.file.ino == o->ino &&
			    f->detail_len == sizeof(struct cryo_fd_memfd) && !strncmp(f->path, "/memfd:", 7))
				return f;
		}
	return NULL;
}

int memfd_owns_pool_file(const struct tree *t, const struct fd_rec *f)
{
	/* memfd_create's open file is O_RDWR, nothing else */
	if (f->r.kind != CRYO_FD_SHMEM || f->r.dup_of >= 0 || f->detail_len != sizeof(struct cryo_fd_memfd) ||
	    (f->r.open_flags & O_ACCMODE) != O_RDWR || f->r.open_flags & (O_APPEND | O_NONBLOCK))
		return 0;
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_fds; i++) {
			const struct fd_rec *g = &t->procs[k].fds[i];
			if (g->r.kind == CRYO_FD_SHMEM && g->r.dup_of < 0 && g->r.file.dev == f->r.file.dev &&
			    g->r.file.ino == f->r.file.ino)
				return g == f && recorded(t, &(struct shmem_obj){ f->r.file.dev, f->r.file.ino, 0 }) != NULL;
		}
	return 0;
}

static struct cryo_fd_memfd detail_of(const struct fd_rec *f)
{
	struct cryo_fd_memfd d;
	memcpy(&d, f->detail, sizeof(d));
	return d;
}

/* "/memfd:NAME (deleted)" -> NAME */
static void name_of(const char *path, char *name, size_t size)
{
	size_t len = strlen(path + 7);
	if (len > 10 && !strcmp(path + 7 + len - 10, " (deleted)"))
		len -= 10;
	if (len >= size)
		len = size - 1;
	memcpy(name, path + 7, len);
	name[len] = 0;
}

/* A mapping of o by a process of t that names a memfd ("/memfd:NAME"), or NULL. */
static const struct vma_rec *memfd_mapping(const struct tree *t, uint64_t dev, uint64_t ino)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_vmas; i++) {
			const struct vma_rec *v = &t->procs[k].vmas[i];
			if (v->r.kind == CRYO_VMA_ANON_SHARED && v->r.file.dev == dev && v->r.file.ino == ino &&
			    v->path && !strncmp(v->path, "/memfd:", 7))
				return v;
		}
	return NULL;
}

/* A memfd only mapped (its descriptors closed) comes back with its name and
 * the mode memfd_create gives, 0777 and no seals (F_SEAL_SEAL alone, a memfd
 * that could never be sealed, comes back sealable: nobody holds a
 * descriptor to tell); one that had others is refused.  Seen through
 * /proc/PID/map_files, which only CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN)
 * may open: no other interface shows a mapping's seals or mode (smaps'
 * "mw" tells a write seal only), so a user's checkpoint refuses such a
 * memfd rather than bring it back silently unsealed. */
static int check_mapped_only(const struct tree *t, pid_t pid, const struct vma_rec *v, struct cryo_error *e)
{
	char path[96];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)v->r.start,
		 (unsigned long long)v->r.end);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cryo_fail_errno(e, pid, "memory", "open(/proc/PID/map_files)",
				       "process %d maps %s at %#llx and no process of the tree holds a descriptor of it: its seals and "
				       "mode can be read only with CAP_CHECKPOINT_RESTORE: refused (keep a descriptor of it open, "
				       "or checkpoint as root)", pid, v->path, (unsigned long long)v->r.start);
	int seals = fcntl(fd, F_GET_SEALS);
	int ok = fstat(fd, &st) == 0;
	close(fd);
	/* F_SEAL_SEAL alone: made without MFD_ALLOW_SEALING, nothing to restore */
	if ((seals > 0 && seals != F_SEAL_SEAL) || (ok && (st.st_mode & 07777) != 0777))
		return cryo_fail(e, pid, "memory", "", ENOTSUP,
				 "process %d maps %s at %#llx (seals %#x, mode %o) and no process of the tree holds a descriptor of it: "
				 "Cryo cannot restore its seals and mode", pid, v->path, (unsigned long long)v->r.start,
				 seals > 0 ? seals : 0, ok ? (unsigned)(st.st_mode & 07777) : 0u);
	return 0;
}

int memfd_check_mapped(const struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_vmas; i++) {
			const struct vma_rec *v = &t->procs[k].vmas[i];
			if (v->r.kind != CRYO_VMA_ANON_SHARED || !v->path || strncmp(v->path, "/memfd:", 7) ||
			    recorded(t, &(struct shmem_obj){ v->r.file.dev, v->r.file.ino, 0 }))
				continue;
			if (check_mapped_only(t, t->procs[k].proc.pid, v, e))
				return -1;
		}
	return 0;
}

int memfd_create_for(const struct tree *t, const struct shmem_obj *o, struct cryo_error *e)
{
	const struct fd_rec *f = recorded(t, o);
	const struct vma_rec *v = f ? NULL : memfd_mapping(t, o->dev, o->ino);
	char name[NAME_MAX_MEMFD + 1] = "cryo-shmem";
	if (f || v)
		name_of(f ? f->path : v->path, name, sizeof(name));
	/* exec bits and seals are set once the contents are in (memfd_seal); a
	 * memfd only mapped had memfd_create's 0777 (memfd_check_mapped) */
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | (f || v ? MFD_EXEC : 0));
	if (fd < 0 && (f || v) && errno == EINVAL)  /* a kernel before MFD_EXEC (6.3): every memfd is 0777 */
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return cryo_fail_errno(e, getpid(), "shared memory", "memfd_create", "cannot create memfd %s", name);
	return fd;
}

int memfd_seal(const struct tree *t, const struct shmem_obj *o, int fd, struct cryo_error *e)
{
	const struct fd_rec *f = recorded(t, o);
	if (!f)
		return 0;
	struct cryo_fd_memfd d = detail_of(f);
	if (d.seals & ~KNOWN_SEALS || d.mode & ~07777u)
		return cryo_fail(e, getpid(), "shared memory", "", EINVAL, "the context file records unknown seals or mode for %s",
				 f->path);
	if (fchmod(fd, (mode_t)d.mode) < 0)
		return cryo_fail_errno(e, getpid(), "shared memory", "fchmod", "cannot give %s its mode %o", f->path, d.mode);
	if (d.seals && fcntl(fd, F_ADD_SEALS, (int)d.seals) < 0)
		return cryo_fail_errno(e, getpid(), "shared memory", "fcntl(F_ADD_SEALS)", "cannot seal %s again (seals %#x)",
				       f->path, d.seals);
	return 0;
}
