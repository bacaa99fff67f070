#include "image.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int iw_open(struct image_writer *w, const char *final_path, pid_t pid, struct cryo_error *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->pid = pid;
	if (strlen(final_path) >= sizeof(w->final_path))
		return cryo_fail(e, pid, RES, "", ENAMETOOLONG, "context file name too long: %s", final_path);
	strcpy(w->final_path, final_path);

	char dir_buf[PATH_MAX], base_buf[PATH_MAX];
	strcpy(dir_buf, final_path);
	strcpy(base_buf, final_path);
	snprintf(w->tmp_path, sizeof(w->tmp_path), "%s/.%s.cryo-tmp-XXXXXX", dirname(dir_buf), basename(base_buf));
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0) {
		w->tmp_path[0] = 0;
		return cryo_fail_errno(e, pid, RES, "open", "cannot create context file beside %s", final_path);
	}
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

int iw_begin(struct image_writer *w, uint32_t type, uint32_t align, struct cryo_error *e)
{
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

static int fsync_dir_of(const char *path)
{
	char dir_buf[PATH_MAX];
	snprintf(dir_buf, sizeof(dir_buf), "%s", path);
	int fd = open(dirname(dir_buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int iw_commit(struct image_writer *w, uint64_t *file_size, struct cryo_error *e)
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
	h.table_checksum = XXH3_64bits(w->sections, table_len);
	if (write_raw(w, w->sections, table_len, e) || flush_buf(w, e))
		return -1;
	h.file_size = w->pos;
	h.header_checksum = XXH3_64bits(&h, offsetof(struct cryo_file_header, header_checksum));
	if (pwrite(w->fd, &h, sizeof(h), 0) != sizeof(h))
		return cryo_fail_errno(e, w->pid, RES, "pwrite", "cannot write the header of %s", w->tmp_path);
	if (fsync(w->fd) < 0)
		return cryo_fail_errno(e, w->pid, RES, "fsync", "cannot flush context file %s to disk", w->tmp_path);
	if (rename(w->tmp_path, w->final_path) < 0)
		return cryo_fail_errno(e, w->pid, RES, "rename", "cannot rename %s to %s", w->tmp_path, w->final_path);
	w->tmp_path[0] = 0;
	if (fsync_dir_of(w->final_path) < 0)
		return cryo_fail_errno(e, w->pid, RES, "fsync", "cannot flush the directory of %s", w->final_path);
	if (file_size)
		*file_size = h.file_size;
	iw_abort(w);            /* frees and closes; nothing left to unlink */
	return 0;
}

void iw_abort(struct image_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp_path[0])
		unlink(w->tmp_path);
	w->tmp_path[0] = 0;
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
	struct stat st;
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return cryo_fail_errno(e, 0, RES, "open", "cannot open context file %s", path);
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ir_close(r);
		return cryo_fail(e, 0, RES, "fstat", errno, "%s is not a regular file", path);
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
		if (s->type == CRYO_SEC_PAGES && !with_pages)
			continue;
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
