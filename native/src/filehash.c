/* Files known by their content: see filehash.h and FILE_HASHES in format.h. */
#include "config.h"
#include "filehash.h"
#include "error.h"
#include "config.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define RES "context file"
#define HASH_TOTAL_MAX (1ULL << 30)     /* per checkpoint: hashing is done while the tree is frozen */
#define CHUNK (1u << 20)

/* Bytes a file may have to be hashed: files.hash.max in cryo.conf, $CRYO_HASH_FILE_MAX (K, M, G suffixes), 64 MiB by default. */
static uint64_t hash_file_max(void)
{
	return cryo_config_bytes("files.hash.max", 64ULL << 20);
}

static int same_file(const struct stat *st, const struct cryo_file_id *id)
{
	return (uint64_t)st->st_dev == id->dev && (uint64_t)st->st_ino == id->ino;
}

/* microseconds: copies made with futimes() (cp -p, Java's Files.copy) keep no more */
static int same_mtime(const struct stat *st, const struct cryo_file_id *id)
{
	return st->st_mtim.tv_sec == id->mtime_sec && st->st_mtim.tv_nsec / 1000 == id->mtime_nsec / 1000;
}

/* XXH3-64 of fd's first size bytes; -1 if it cannot be read whole. */
static int hash_fd(int fd, uint64_t size, uint64_t *out)
{
	XXH3_state_t *h = XXH3_createState();
	char *buf = malloc(CHUNK);
	int rc = !h || !buf || XXH3_64bits_reset(h) == XXH_ERROR ? -1 : 0;
	for (uint64_t at = 0; !rc && at < size;) {
		size_t want = size - at < CHUNK ? (size_t)(size - at) : CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || XXH3_64bits_update(h, buf, (size_t)n) == XXH_ERROR)
			rc = -1;
		else
			at += (uint64_t)n;
	}
	if (!rc)
		*out = XXH3_64bits_digest(h);
	free(buf);
	XXH3_freeState(h);
	return rc;
}

/* ---- checkpoint ---- */

static int have_hash(const struct tree *t, const struct cryo_file_id *id)
{
	for (int i = 0; i < t->nr_file_hashes; i++)
		if (t->file_hashes[i].dev == id->dev && t->file_hashes[i].ino == id->ino)
			return 1;
	return 0;
}

/*
 * Hashes the file id names, opened as open_path (a new open file: no offset
 * of the process moves), if it is still that file and small enough.  A file
 * that cannot be hashed is no failure: it is judged by size and mtime at
 * restart, as files always were.
 */
static int add_hash(struct tree *t, const char *open_path, const struct cryo_file_id *id, uint64_t *budget)
{
	if (!S_ISREG(id->mode) || have_hash(t, id) || id->size > hash_file_max() || id->size > *budget)
		return 0;
	int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	struct cryo_file_hash h = { .record_size = sizeof(h), .algorithm = CRYO_HASH_XXH3_64, .dev = id->dev,
				    .ino = id->ino, .size = id->size, .mtime_sec = id->mtime_sec,
				    .mtime_nsec = id->mtime_nsec };
	int ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && same_file(&st, id) &&
		 (uint64_t)st.st_size == id->size && same_mtime(&st, id) && hash_fd(fd, id->size, &h.hash) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		return 0;
	struct cryo_file_hash *grown = realloc(t->file_hashes, (size_t)(t->nr_file_hashes + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->file_hashes = grown;
	t->file_hashes[t->nr_file_hashes++] = h;
	*budget -= id->size;
	return 0;
}

static int hash_process_files(struct tree *t, const struct snapshot *s, uint64_t *budget)
{
	char path[96];
	pid_t pid = s->proc.pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (add_hash(t, path, &s->proc.exe_id, budget))
		return -1;
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct vma_rec *v = &s->vmas[i];
		if (v->r.kind == CRYO_VMA_FILE_PRIVATE && add_hash(t, v->path, &v->r.file, budget))
			return -1;
	}
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (f->r.kind != CRYO_FD_REGULAR || (f->r.open_flags & O_ACCMODE) != O_RDONLY)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, f->r.fd);
		if (add_hash(t, path, &f->r.file, budget))
			return -1;
	}
	return 0;
}

static int capture_hashes(struct tree *t, struct cryo_error *e)
{
	uint64_t budget = HASH_TOTAL_MAX;
	for (int k = 0; k < t->nr; k++)
		if (t->procs[k].proc.state != CRYO_PROCESS_ZOMBIE && hash_process_files(t, &t->procs[k], &budget))
			return cryo_fail(e, t->procs[k].proc.pid, "files", "malloc", ENOMEM, "out of memory");
	return 0;
}

static int write_hashes(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	return iw_begin(w, CRYO_SEC_FILE_HASHES, 8, e) ||
	       iw_write(w, t->file_hashes, (size_t)t->nr_file_hashes * sizeof(*t->file_hashes), e) || iw_end(w, e)
		? -1 : 0;
}

/* ---- restart ---- */

static int corrupt(struct image_reader *r, const char *what, struct cryo_error *e)
{
	return cryo_fail(e, 0, RES, "", EINVAL, "context file %s is corrupt: %s in section FILE_HASHES", r->path, what);
}

/* Records of another algorithm are skipped (their files are judged by size and mtime). */
static int read_hashes(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	const struct cryo_section_entry *s = ir_find(r, CRYO_SEC_FILE_HASHES, 0);
	void *buf;
	if (!s)
		return 0;               /* an older file */
	if (ir_load(r, s, &buf, e))
		return -1;
	const char *p = buf, *end = p + s->length;
	int rc = 0;
	while (!rc && p < end) {
		struct cryo_file_hash h;
		if ((size_t)(end - p) < sizeof(h)) {
			rc = corrupt(r, "a truncated record", e);
			break;
		}
		memcpy(&h, p, sizeof(h));
		if (h.record_size < sizeof(h) || h.record_size % 8 || h.record_size > (size_t)(end - p)) {
			rc = corrupt(r, "a record of a bad size", e);
			break;
		}
		p += h.record_size;
		if (h.algorithm != CRYO_HASH_XXH3_64)
			continue;
		struct cryo_file_hash *grown = realloc(t->file_hashes, (size_t)(t->nr_file_hashes + 1) * sizeof(*grown));
		if (!grown) {
			rc = cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
			break;
		}
		t->file_hashes = grown;
		t->file_hashes[t->nr_file_hashes++] = h;
	}
	free(buf);
	return rc;
}

static void free_hashes(struct tree *t)
{
	free(t->file_hashes);
	t->file_hashes = NULL;
	t->nr_file_hashes = 0;
}

static const struct cryo_file_hash *find_hash(const struct tree *t, const struct cryo_file_id *id)
{
	for (int i = 0; t && i < t->nr_file_hashes; i++) {
		const struct cryo_file_hash *h = &t->file_hashes[i];
		if (h->dev == id->dev && h->ino == id->ino && h->size == id->size && h->mtime_sec == id->mtime_sec &&
		    h->mtime_nsec == id->mtime_nsec)
			return h;
	}
	return NULL;
}

static int changed(const char *what, const char *path, const struct stat *now, const struct cryo_file_id *id,
		   const char *how, struct cryo_error *e)
{
	return cryo_fail(e, 0, what, "", ESTALE,
			 "%s %s changed since the checkpoint (size %llu, was %llu; %s): refusing to restart on a different file",
			 what, path, (unsigned long long)now->st_size, (unsigned long long)id->size, how);
}

int filehash_check(const struct tree *t, const char *what, const char *path, const struct cryo_file_id *id,
		   const struct stat *now, struct cryo_error *e)
{
	if ((uint64_t)now->st_size != id->size)
		return changed(what, path, now, id, "another size", e);
	const struct cryo_file_hash *h = find_hash(t, id);
	if (same_mtime(now, id) && (!h || same_file(now, id)))
		return 0;               /* the same file, untouched as far as the kernel tells */
	if (!h)
		return changed(what, path, now, id, "modified since, and too large to have been hashed", e);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	uint64_t sum;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size != id->size || hash_fd(fd, id->size, &sum)) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return cryo_fail(e, 0, what, "read", err ? err : EIO, "cannot read %s %s to compare it with the checkpoint's",
				 what, path);
	}
	close(fd);
	return sum == h->hash ? 0 : changed(what, path, now, id, "another content", e);
}

/* Hashes are taken once every process and its files are captured; no descriptor of the pool. */
const struct resource_ops file_hashes_resource = {
	.section = CRYO_SEC_FILE_HASHES, .name = "file hashes", .capture = capture_hashes, .write = write_hashes,
	.read = read_hashes, .free = free_hashes,
};
