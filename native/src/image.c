#include "image.h"
#include "error.h"
#include "interrupt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_BUF  (256 * 1024)
#define RES        "context file"

/* ---- writing ---- */

static int write_all(struct image_writer *w, const void *data, size_t len, struct cryo_error *e)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cryo_fail_errno(e, w->pid, RES, "write", "cannot write context file %s", w->tmp_path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int flush_buf(struct image_writer *w, struct cryo_error *e)
{
	if (!w->buf_len)
		return 0;
	if (write_all(w, w->buf, w->buf_len, e))
		return -1;
	w->buf_len = 0;
	return 0;
}

/* bytes that count in the file but not in any checksum */
static int write_raw(struct image_writer *w, const void *data, size_t len, struct cryo_error *e)
{
	if (len >= WRITE_BUF) {
		if (flush_buf(w, e) || write_all(w, data, len, e))
			return -1;
	} else {
		if (w->buf_len + len > WRITE_BUF && flush_buf(w, e))
			return -1;
		memcpy(w->buf + w->buf_len, data, len);
		w->buf_len += len;
	}
	w->pos += len;
	return 0;
}

static int pad_to(struct image_writer *w, uint64_t align, struct cryo_error *e)
{
	static const char zeros[4096];
	uint64_t pad = (align - w->pos % align) % align;
	return write_raw(w, zeros, pad, e);
}

/* ---- where the file goes ---- */

static const char *kind_of(mode_t mode)
{
	return S_ISCHR(mode) ? "character device" : S_ISBLK(mode) ? "block device" : S_ISFIFO(mode) ? "FIFO"
	     : S_ISSOCK(mode) ? "socket" : S_ISLNK(mode) ? "symbolic link" : S_ISDIR(mode) ? "directory" : "special file";
}

/* The final name may be absent or a regular file (replaced whole at the
 * commit); anything else would be written through or replaced: refused. */
static int check_final_name(struct image_writer *w, struct cryo_error *e)
{
	struct stat st;
	if (fstatat(w->dir_fd, w->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cryo_fail_errno(e, w->pid, RES, "fstatat", "cannot look at %s", w->final_path);
	if (S_ISREG(st.st_mode))
		return 0;
	cryo_fail(e, w->pid, RES, "", 0, "%s is a %s, not a regular file: refused (give a file name or a directory)",
		  w->final_path, kind_of(st.st_mode));
	e->err = EINVAL;
	return -1;
}

/* -f DIR means DIR/context.PID; -f DIR/NAME is NAME in DIR.  The directory
 * is opened once, and the name is only ever used relative to it. */
static int open_directory(struct image_writer *w, const char *path, struct cryo_error *e)
{
	char dir_buf[PATH_MAX], base_buf[PATH_MAX];
	struct stat st;
	const char *dir, *base;
	if (!*path)
		return cryo_fail(e, w->pid, RES, "", EINVAL, "no context file name given");
	if (strlen(path) >= sizeof(dir_buf) - 32)
		return cryo_fail(e, w->pid, RES, "", ENAMETOOLONG, "context file name too long: %s", path);
	strcpy(dir_buf, path);
	strcpy(base_buf, path);
	errno = 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = path;
		snprintf(base_buf, sizeof(base_buf), "context.%d", w->pid);
		base = base_buf;
	} else if (path[strlen(path) - 1] == '/') {
		return cryo_fail(e, w->pid, RES, "stat", errno ? errno : ENOTDIR, "no directory %s for the context file", path);
	} else {
		dir = dirname(dir_buf);
		base = basename(base_buf);
	}
	if (strlen(base) > NAME_MAX - 24)
		return cryo_fail(e, w->pid, RES, "", ENAMETOOLONG, "context file name too long: %s", base);
	strcpy(w->name, base);
	snprintf(w->final_path, sizeof(w->final_path), "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", base);
	w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0)
		return cryo_fail_errno(e, w->pid, RES, "open", "cannot open directory %s for context file %s", dir, base);
	return check_final_name(w, e);
}

/* ---- named temporary files, where there is no O_TMPFILE ---- */

#define TMP_MARK ".cryo-tmp-"
#define TMP_RANDOM 6

static int is_temp_name(const char *name)
{
	const char *mark = strstr(name, TMP_MARK);
	if (name[0] != '.' || !mark)
		return 0;
	const char *r = mark + strlen(TMP_MARK);
	if (strlen(r) != TMP_RANDOM)
		return 0;
	for (; *r; r++)
		if (!isalnum((unsigned char)*r))
			return 0;
	return 1;
}

/* One left by a checkpoint that was killed outright: ours, a plain regular
 * file, and no writer holds its lock any more.  Opened without following a
 * symlink and without blocking on a FIFO. */
static void remove_if_stale(int dir_fd, const char *name)
{
	struct stat st, now;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1 &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(dir_fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
		unlinkat(dir_fd, name, 0);
	close(fd);
}

static void remove_stale_temp_files(int dir_fd)
{
	int fd = dup(dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *de; (de = readdir(d));)
		if (is_temp_name(de->d_name))
			remove_if_stale(dir_fd, de->d_name);
	closedir(d);
}

static void random_suffix(char *out)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[TMP_RANDOM];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (int i = 0; i < TMP_RANDOM; i++)
			r[i] = (unsigned char)(rand() ^ getpid() ^ i);
	for (int i = 0; i < TMP_RANDOM; i++)
		out[i] = digits[r[i] % (sizeof(digits) - 1)];
	out[TMP_RANDOM] = 0;
}

/* A fresh .NAME.cryo-tmp-XXXXXX name in the directory for fd: created (fd < 0)
 * or linked to fd's file; *out gets the descriptor of a created one. */
static int make_temp_name(struct image_writer *w, int link_fd, int *out)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		char suffix[TMP_RANDOM + 1];
		random_suffix(suffix);
		snprintf(w->tmp_name, sizeof(w->tmp_name), ".%s" TMP_MARK "%s", w->name, suffix);
		int r;
		if (link_fd < 0) {
			r = *out = openat(w->dir_fd, w->tmp_name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		} else {
			char self[64];
			snprintf(self, sizeof(self), "/proc/self/fd/%d", link_fd);
			r = linkat(AT_FDCWD, self, w->dir_fd, w->tmp_name, AT_SYMLINK_FOLLOW);
		}
		if (r >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	w->tmp_name[0] = 0;
	return -1;
}

/* While the directory is ours (LOCK_EX on it, if we get it soon): removing
 * stale files and creating ours, locked, cannot interleave with another
 * checkpoint doing the same, which could take our new file for a stale one. */
static void lock_directory(int dir_fd)
{
	for (int i = 0; i < 200 && flock(dir_fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK; i++)
		usleep(10000);
}

static int create_file(struct image_writer *w, struct cryo_error *e)
{
	lock_directory(w->dir_fd);
	remove_stale_temp_files(w->dir_fd);
	/* nameless: a checkpoint killed outright leaves nothing under any name */
	w->fd = openat(w->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		make_temp_name(w, -1, &w->fd);
	int err = errno;
	/* held while written: the next checkpoint removes only unlocked ones */
	if (w->fd >= 0)
		flock(w->fd, LOCK_EX | LOCK_NB);
	flock(w->dir_fd, LOCK_UN);
	if (w->fd < 0)
		return cryo_fail(e, w->pid, RES, "open", err, "cannot create context file %s", w->final_path);
	return 0;
}

int iw_open(struct image_writer *w, const char *path, pid_t pid, struct cryo_error *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->dir_fd = -1;
	w->pid = pid;
	if (open_directory(w, path, e) || create_file(w, e)) {
		iw_abort(w);
		return -1;
	}
	snprintf(w->tmp_path, sizeof(w->tmp_path), "%s (being written)", w->final_path);
	if (fchmod(w->fd, 0600) < 0) {
		cryo_fail_errno(e, pid, RES, "fchmod", "cannot make %s private", w->tmp_path);
		iw_abort(w);
		return -1;
	}
	w->hash = XXH3_createState();
	w->buf = malloc(WRITE_BUF);
	if (!w->hash || !w->buf) {
		iw_abort(w);
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	}
	/* the header is written last, over this placeholder */
	struct cryo_file_header blank;
	memset(&blank, 0, sizeof(blank));
	return write_raw(w, &blank, sizeof(blank), e);
}

int iw_reopen(struct image_writer *w, int flags, struct cryo_error *e)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", w->fd);
	int fd = open(self, flags | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL && (flags & O_DIRECT))   /* tmpfs and friends: buffered it is */
		fd = open(self, (flags & ~O_DIRECT) | O_CLOEXEC);
	if (fd < 0)
		return cryo_fail_errno(e, w->pid, RES, "open", "cannot open %s for page data", w->tmp_path);
	return fd;
}

int iw_begin(struct image_writer *w, uint32_t type, uint32_t align, struct cryo_error *e)
{
	if (interrupt_check(w->pid, e))
		return -1;
	if (w->nr_sections == IMAGE_MAX_SECTIONS)
		return cryo_fail(e, w->pid, RES, "", E2BIG, "too many sections in context file");
	if (pad_to(w, align ? align : 8, e))
		return -1;
	struct cryo_section_entry *s = &w->sections[w->nr_sections];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->offset = w->pos;
	XXH3_64bits_reset(w->hash);
	w->in_section = 1;
	return 0;
}

int iw_write(struct image_writer *w, const void *data, size_t len, struct cryo_error *e)
{
	XXH3_64bits_update(w->hash, data, len);
	return write_raw(w, data, len, e);
}

int iw_end(struct image_writer *w, struct cryo_error *e)
{
	struct cryo_section_entry *s = &w->sections[w->nr_sections++];
	s->length = w->pos - s->offset;
	s->checksum = XXH3_64bits_digest(w->hash);
	w->in_section = 0;
	return 0;
}

int iw_flush(struct image_writer *w, struct cryo_error *e)
{
	return flush_buf(w, e);
}

int iw_end_external(struct image_writer *w, uint64_t end, uint64_t checksum, struct cryo_error *e)
{
	struct cryo_section_entry *s = &w->sections[w->nr_sections++];
	if (lseek(w->fd, (off_t)end, SEEK_SET) < 0)
		return cryo_fail_errno(e, w->pid, RES, "lseek", "cannot seek in %s", w->tmp_path);
	w->pos = end;
	s->length = end - s->offset;
	s->checksum = checksum;
	w->in_section = 0;
	return 0;
}

/* The old file's second name for --backup: the one asked for, or the first
 * NAME.~N~ after every one there is (as cp --backup=numbered and BLCR do). */
static int backup_name(struct image_writer *w, char *out, size_t size, struct cryo_error *e)
{
	if (w->backup[0]) {
		snprintf(out, size, "%s", w->backup);
		return 0;
	}
	unsigned long highest = 0;
	size_t len = strlen(w->name);
	int fd = dup(w->dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return cryo_fail_errno(e, w->pid, RES, "opendir", "cannot list the directory of %s for its backup",
				       w->final_path);
	}
	rewinddir(d);
	for (struct dirent *de; (de = readdir(d));) {
		const char *n = de->d_name, *end;
		if (strncmp(n, w->name, len) || strncmp(n + len, ".~", 2))
			continue;
		char *stop;
		unsigned long v = strtoul(n + len + 2, &stop, 10);
		end = stop;
		if (end != n + len + 2 && !strcmp(end, "~") && v > highest)
			highest = v;
	}
	closedir(d);
	if (snprintf(out, size, "%s.~%lu~", w->name, highest + 1) >= (int)size)
		return cryo_fail(e, w->pid, RES, "", ENAMETOOLONG, "backup name of %s too long", w->final_path);
	return 0;
}

/* --backup: the old file gets its second name first (a hard link, so the
 * final name is never empty); undone if the new file then cannot take the
 * name.  No old file: nothing to keep. */
static int keep_old_file(struct image_writer *w, char *kept, size_t size, struct cryo_error *e)
{
	kept[0] = 0;
	if (w->replace != CRYO_REPLACE_BACKUP)
		return 0;
	struct stat st;
	if (fstatat(w->dir_fd, w->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cryo_fail_errno(e, w->pid, RES, "fstatat", "cannot look at %s", w->final_path);
	if (backup_name(w, kept, size, e))
		return -1;
	if (linkat(w->dir_fd, w->name, w->dir_fd, kept, 0) < 0) {
		int err = errno;
		kept[0] = 0;
		return cryo_fail(e, w->pid, RES, "linkat", err, "cannot back up %s (linkat: %s)", w->final_path,
				 strerror(err));
	}
	return 0;
}

static int name_is_taken(struct image_writer *w, struct cryo_error *e)
{
	return cryo_fail(e, w->pid, RES, "linkat", EEXIST, "%s already exists (--noclobber): nothing written",
			 w->final_path);
}

/* The commit point.  A nameless file is linked to its name, through a
 * locked temporary name and a rename if the name is taken; a named one is
 * renamed.  Either way the name goes from the old file to the new complete
 * one in one step (CRYO_REPLACE_NEVER: never from an old file). */
static int link_into_place(struct image_writer *w, struct cryo_error *e)
{
	if (check_final_name(w, e))
		return -1;
	if (!w->tmp_name[0]) {
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", w->fd);
		if (linkat(AT_FDCWD, self, w->dir_fd, w->name, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST && w->replace == CRYO_REPLACE_NEVER)
			return name_is_taken(w, e);
		if (errno != EEXIST || make_temp_name(w, w->fd, NULL))
			return cryo_fail_errno(e, w->pid, RES, "linkat", "cannot give context file %s its name", w->final_path);
	}
	char kept[NAME_MAX + 1];
	if (keep_old_file(w, kept, sizeof(kept), e))
		return -1;
	unsigned flags = w->replace == CRYO_REPLACE_NEVER ? RENAME_NOREPLACE : 0;
	if (renameat2(w->dir_fd, w->tmp_name, w->dir_fd, w->name, flags) < 0) {
		int err = errno;
		if (kept[0])
			unlinkat(w->dir_fd, kept, 0);
		if (err == EEXIST && flags)
			return name_is_taken(w, e);
		return cryo_fail(e, w->pid, RES, "rename", err, "cannot rename %s to %s (%s)", w->tmp_name,
				 w->final_path, strerror(err));
	}
	w->tmp_name[0] = 0;
	return 0;
}

int iw_set_replace(struct image_writer *w, int replace, const char *backup, struct cryo_error *e)
{
	if (replace < CRYO_REPLACE_ATOMIC || replace > CRYO_REPLACE_BACKUP)
		return cryo_fail(e, w->pid, RES, "", EINVAL, "invalid replace policy %d", replace);
	if (backup && (!*backup || strchr(backup, '/') || !strcmp(backup, ".") || !strcmp(backup, "..") ||
		       strlen(backup) > NAME_MAX || !strcmp(backup, w->name)))
		return cryo_fail(e, w->pid, RES, "", EINVAL,
				 "invalid backup name '%s' (a new name in the directory of %s)", backup, w->final_path);
	w->replace = replace;
	snprintf(w->backup, sizeof(w->backup), "%s", backup ? backup : "");
	struct stat st;
	if (replace == CRYO_REPLACE_NEVER && fstatat(w->dir_fd, w->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return name_is_taken(w, e);
	return 0;
}

static int write_table_and_header(struct image_writer *w, struct cryo_file_header *out, struct cryo_error *e)
{
	struct cryo_file_header h;
	size_t table_len = (size_t)w->nr_sections * sizeof(struct cryo_section_entry);

	if (pad_to(w, 8, e))
		return -1;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CRYO_MAGIC, sizeof(h.magic));
	h.version = CRYO_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.machine = CRYO_MACHINE_X86_64;
	h.page_size = CRYO_PAGE_SIZE;
	h.table_offset = w->pos;
	h.section_count = (uint32_t)w->nr_sections;
	h.flags = w->flags;
	h.table_checksum = XXH3_64bits(w->sections, table_len);
	if (write_raw(w, w->sections, table_len, e) || flush_buf(w, e))
		return -1;
	h.file_size = w->pos;
	h.header_checksum = XXH3_64bits(&h, offsetof(struct cryo_file_header, header_checksum));
	if (pwrite(w->fd, &h, sizeof(h), 0) != sizeof(h))
		return cryo_fail_errno(e, w->pid, RES, "pwrite", "cannot write the header of %s", w->tmp_path);
	*out = h;
	return 0;
}

int iw_finish_nameless(struct image_writer *w, int *fd, struct cryo_error *e)
{
	struct cryo_file_header h;
	char self[64];
	if (write_table_and_header(w, &h, e)) {
		iw_abort(w);
		return -1;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", w->fd);
	*fd = open(self, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		cryo_fail_errno(e, w->pid, RES, "open", "cannot read back %s", w->tmp_path);
	iw_abort(w);            /* a named temporary file goes: the descriptor holds it */
	return *fd < 0 ? -1 : 0;
}

/* CRYO_FAULT_BEFORE_FSYNC=ERRNO:FILE (tests): the commit, before its fsync,
 * waits (up to 10 s) for FILE, a test's go, and removes it; then fails as an
 * fsync that returned ERRNO would (EIO from a disk, EDQUOT from NFS), or,
 * with 0, goes on. */
static int fault_before_fsync(const struct image_writer *w, struct cryo_error *e)
{
	const char *v = getenv("CRYO_FAULT_BEFORE_FSYNC");
	char *file = NULL;
	int err = v ? (int)strtol(v, &file, 10) : 0;
	if (!file || *file != ':')
		return 0;
	for (int i = 0; i < 2000 && unlink(file + 1) < 0; i++)
		usleep(5000);
	return err ? cryo_fail(e, w->pid, RES, "fsync", err, "cannot flush context file %s to disk", w->tmp_path) : 0;
}

int iw_commit(struct image_writer *w, uint64_t *file_size, struct cryo_error *e)
{
	struct cryo_file_header h;
	if (write_table_and_header(w, &h, e))
		return -1;
	if (!w->no_fsync && fault_before_fsync(w, e))
		return -1;
	if (!w->no_fsync && fsync(w->fd) < 0)
		return cryo_fail_errno(e, w->pid, RES, "fsync", "cannot flush context file %s to disk", w->tmp_path);
	/* the last moment a stop can be asked for; after the link the checkpoint completes */
	if (interrupt_check(w->pid, e) || link_into_place(w, e))
		return -1;
	w->committed = 1;
	/* a pre-copy step file: the merged file's commit syncs the directory (a loaded disk took 250 ms here, frozen) */
	if (!w->no_fsync && fsync(w->dir_fd) < 0)
		return cryo_fail_errno(e, w->pid, RES, "fsync", "cannot flush the directory of %s", w->final_path);
	if (file_size)
		*file_size = h.file_size;
	iw_abort(w);            /* frees and closes; nothing left to unlink */
	return 0;
}

void iw_abort(struct image_writer *w)
{
	/* a named file goes while still locked, so no other checkpoint takes it meanwhile */
	if (w->tmp_name[0] && w->dir_fd >= 0)
		unlinkat(w->dir_fd, w->tmp_name, 0);
	w->tmp_name[0] = 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	w->dir_fd = -1;
	if (w->hash)
		XXH3_freeState(w->hash);
	w->hash = NULL;
	free(w->buf);
	w->buf = NULL;
}

/* ---- reading ---- */

static int read_at(struct image_reader *r, void *buf, size_t len, uint64_t off, struct cryo_error *e)
{
	char *p = buf;
	while (len) {
		ssize_t n = pread(r->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cryo_fail_errno(e, 0, RES, "pread", "cannot read context file %s", r->path);
		if (n == 0)
			return cryo_fail(e, 0, RES, "", 0, "context file %s is truncated", r->path);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int corrupt(struct image_reader *r, struct cryo_error *e, const char *what)
{
	return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt or truncated: %s", r->path, what);
}

/*
 * The writer lays payloads out one after the other, in table order, between the
 * header and the table.  Requiring exactly that (every section within bounds,
 * each one starting at or after the end of the previous one) means no two
 * entries can share bytes, so verifying every checksum reads each byte of the
 * file at most once: the cost is linear in the file's size, whatever the table
 * says.
 */
static int check_section_layout(struct image_reader *r, struct cryo_error *e)
{
	uint64_t end_of_previous = sizeof(struct cryo_file_header);
	for (uint32_t i = 0; i < r->nr_sections; i++) {
		const struct cryo_section_entry *s = &r->table[i];
		uint64_t limit = r->header.table_offset;
		if (s->offset < sizeof(struct cryo_file_header) || s->offset > limit || s->length > limit - s->offset)
			return corrupt(r, e, "section out of bounds");
		if (s->offset < end_of_previous) {
			char what[96];
			snprintf(what, sizeof(what), "section %u overlaps the one before it or is out of order", i);
			return corrupt(r, e, what);
		}
		end_of_previous = s->offset + s->length;
	}
	return 0;
}

int ir_open(struct image_reader *r, const char *path, struct cryo_error *e)
{
	return ir_open_flags(r, path, 0, e);
}

int ir_open_flags(struct image_reader *r, const char *path, int flags, struct cryo_error *e)
{
	struct stat st;
	memset(r, 0, sizeof(*r));
	r->path = path;
	/* O_NONBLOCK: a FIFO put where a context file should be (a user's catalog
	 * read by root) must not block the open; nothing but a regular file is read */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	if (r->fd < 0)
		return cryo_fail_errno(e, 0, RES, "open", "cannot open context file %s", path);
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(r->fd, F_SETFL, 0) < 0) {
		int err = errno ? errno : EINVAL;
		ir_close(r);
		return cryo_fail(e, 0, RES, "fstat", err, "%s is not a regular file", path);
	}
	r->size = (uint64_t)st.st_size;

	struct cryo_file_header *h = &r->header;
	if (r->size < sizeof(*h)) {
		corrupt(r, e, "shorter than a header");
		goto fail;
	}
	if (read_at(r, h, sizeof(*h), 0, e))
		goto fail;
	if (memcmp(h->magic, CRYO_MAGIC, sizeof(h->magic))) {
		cryo_fail(e, 0, RES, "", 0, "%s is not a Cryo context file (bad magic)", path);
		goto fail;
	}
	if (h->header_checksum != XXH3_64bits(h, offsetof(struct cryo_file_header, header_checksum))) {
		corrupt(r, e, "header checksum mismatch");
		goto fail;
	}
	if (h->version != CRYO_FORMAT_VERSION) {
		cryo_fail(e, 0, RES, "", 0, "context file %s has format version %u; this Cryo reads version %u",
			  path, h->version, CRYO_FORMAT_VERSION);
		goto fail;
	}
	if (h->flags & ~CRYO_FILE_KNOWN_FLAGS) {
		cryo_fail(e, 0, RES, "", 0, "context file %s has header flags %#x this Cryo does not know", path, h->flags);
		goto fail;
	}
	if (h->machine != CRYO_MACHINE_X86_64 || h->page_size != CRYO_PAGE_SIZE || h->header_size != sizeof(*h)) {
		cryo_fail(e, 0, RES, "", 0, "context file %s was written for another machine (machine %u, page size %u)",
			  path, h->machine, h->page_size);
		goto fail;
	}
	if (h->file_size != r->size) {
		corrupt(r, e, h->file_size > r->size ? "file is shorter than recorded" : "file is longer than recorded");
		goto fail;
	}
	uint64_t table_len = (uint64_t)h->section_count * sizeof(struct cryo_section_entry);
	if (h->section_count == 0 || h->section_count > IMAGE_MAX_SECTIONS ||
	    h->table_offset < sizeof(*h) || h->table_offset > r->size || table_len > r->size - h->table_offset) {
		corrupt(r, e, "section table out of bounds");
		goto fail;
	}
	r->nr_sections = h->section_count;
	r->table = malloc(table_len);
	if (!r->table) {
		cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		goto fail;
	}
	if (read_at(r, r->table, table_len, h->table_offset, e))
		goto fail;
	if (XXH3_64bits(r->table, table_len) != h->table_checksum) {
		corrupt(r, e, "section table checksum mismatch");
		goto fail;
	}
	if (check_section_layout(r, e))
		goto fail;
	return 0;
fail:
	ir_close(r);
	return -1;
}

void ir_close(struct image_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->table);
	r->table = NULL;
}

int ir_verify_sections(struct image_reader *r, int with_pages, struct cryo_error *e)
{
	size_t chunk = 4 << 20;
	char *buf = malloc(chunk);
	XXH3_state_t *st = XXH3_createState();
	int rc = -1;
	if (!buf || !st) {
		cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < r->nr_sections; i++) {
		const struct cryo_section_entry *s = &r->table[i];
		if (s->type == CRYO_SEC_PAGES && (!with_pages || s->flags & CRYO_PAGES_BLOCKS))
			continue;   /* compressed: no section checksum, each block has one (pagestream.c) */
		XXH3_64bits_reset(st);
		for (uint64_t done = 0; done < s->length;) {
			size_t n = s->length - done < chunk ? (size_t)(s->length - done) : chunk;
			if (read_at(r, buf, n, s->offset + done, e))
				goto out;
			XXH3_64bits_update(st, buf, n);
			done += n;
		}
		if (XXH3_64bits_digest(st) != s->checksum) {
			char what[64];
			snprintf(what, sizeof(what), "checksum mismatch in section %u (type %u)", i, s->type);
			corrupt(r, e, what);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	if (st)
		XXH3_freeState(st);
	return rc;
}

const struct cryo_section_entry *ir_find(const struct image_reader *r, uint32_t type, int n)
{
	for (uint32_t i = 0; i < r->nr_sections; i++)
		if (r->table[i].type == type && n-- == 0)
			return &r->table[i];
	return NULL;
}

int ir_load(struct image_reader *r, const struct cryo_section_entry *s, void **payload, struct cryo_error *e)
{
	/* metadata only: page data is streamed, never loaded whole */
	if (s->length > (256u << 20))
		return corrupt(r, e, "metadata section too large");
	void *p = malloc(s->length ? s->length : 1);
	if (!p)
		return cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
	if (read_at(r, p, s->length, s->offset, e)) {
		free(p);
		return -1;
	}
	*payload = p;
	return 0;
}
