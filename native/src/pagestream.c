#include "pagestream.h"
#include "error.h"
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RES "context file"

struct slot {
	char *buf;
	size_t len;
	int full;                   /* written: filled by the producer; read: see SLOT_TAKEN */
	uint64_t at;                /* read: offset of the chunk in the section */
};

struct pagestream {
	int writing;
	int fd;                     /* O_DIRECT where the file system allows it */
	int own_fd;
	uint64_t offset;            /* file offset of the next chunk */
	uint64_t end;               /* reading: end of the section */
	pid_t pid;
	const char *path;
	struct slot slots[PAGESTREAM_BUFFERS];
	int head, tail;             /* producer fills head, consumer takes tail */
	int stop;
	int failed;
	struct cryo_error err;
	XXH3_state_t *hash;
	uint64_t expected;          /* reading: the section checksum */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct image_writer *w;
};

static struct pagestream *ps_new(int writing, struct cryo_error *e)
{
	struct pagestream *ps = calloc(1, sizeof(*ps));
	if (!ps) {
		cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		return NULL;
	}
	ps->writing = writing;
	ps->fd = -1;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->changed, NULL);
	ps->hash = XXH3_createState();
	for (int i = 0; i < PAGESTREAM_BUFFERS; i++) {
		ps->slots[i].buf = mmap(NULL, PAGESTREAM_CHUNK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (ps->slots[i].buf == MAP_FAILED)
			ps->slots[i].buf = NULL;
		if (!ps->slots[i].buf || !ps->hash) {
			cryo_fail(e, 0, RES, "mmap", ENOMEM, "out of memory for page buffers");
			return ps;      /* caller frees */
		}
	}
	XXH3_64bits_reset(ps->hash);
	return ps;
}

static void ps_stop_thread(struct pagestream *ps)
{
	if (!ps->started)
		return;
	pthread_mutex_lock(&ps->lock);
	ps->stop = 1;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
	pthread_join(ps->thread, NULL);
	ps->started = 0;
}

static void ps_free(struct pagestream *ps)
{
	if (!ps)
		return;
	ps_stop_thread(ps);
	for (int i = 0; i < PAGESTREAM_BUFFERS; i++)
		if (ps->slots[i].buf)
			munmap(ps->slots[i].buf, PAGESTREAM_CHUNK);
	if (ps->own_fd && ps->fd >= 0)
		close(ps->fd);
	if (ps->hash)
		XXH3_freeState(ps->hash);
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->changed);
	free(ps);
}

static int fail_locked(struct pagestream *ps, int err, const char *sc, const char *what)
{
	if (!ps->failed)
		cryo_fail(&ps->err, ps->pid, RES, sc, err, "%s %s", what, ps->path);
	ps->failed = 1;
	pthread_cond_broadcast(&ps->changed);
	return -1;
}

static int io_all(struct pagestream *ps, char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = ps->writing ? pwrite(ps->fd, buf, len, (off_t)off) : pread(ps->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : (ps->writing ? ENOSPC : EIO);
		buf += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- writing ---- */

static void *write_loop(void *arg)
{
	struct pagestream *ps = arg;
	pthread_mutex_lock(&ps->lock);
	for (;;) {
		struct slot *s = &ps->slots[ps->tail];
		while (!s->full && !ps->stop)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (!s->full)
			break;
		pthread_mutex_unlock(&ps->lock);
		XXH3_64bits_update(ps->hash, s->buf, s->len);
		int err = io_all(ps, s->buf, s->len, ps->offset);
		pthread_mutex_lock(&ps->lock);
		if (err) {
			fail_locked(ps, err, "write", "cannot write page data to context file");
			break;
		}
		ps->offset += s->len;
		s->full = 0;
		ps->tail = (ps->tail + 1) % PAGESTREAM_BUFFERS;
		pthread_cond_broadcast(&ps->changed);
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

int ps_write_begin(struct pagestream **out, struct image_writer *w, struct cryo_error *e)
{
	struct pagestream *ps = ps_new(1, e);
	if (!ps || !ps->slots[PAGESTREAM_BUFFERS - 1].buf)
		goto fail;
	if (iw_begin(w, CRYO_SEC_PAGES, CRYO_PAGE_SIZE, e) || iw_flush(w, e))
		goto fail;
	ps->w = w;
	ps->pid = w->pid;
	ps->path = w->tmp_path;
	ps->offset = w->pos;
	ps->fd = iw_reopen(w, O_WRONLY | O_DIRECT, e);
	ps->own_fd = 1;
	if (ps->fd < 0)
		goto fail;
	if (pthread_create(&ps->thread, NULL, write_loop, ps)) {
		cryo_fail(e, w->pid, RES, "pthread_create", EAGAIN, "cannot start the page writer");
		goto fail;
	}
	ps->started = 1;
	*out = ps;
	return 0;
fail:
	ps_free(ps);
	return -1;
}

static int failed_copy(struct pagestream *ps, struct cryo_error *e)
{
	*e = ps->err;
	return -1;
}

int ps_write_buffer(struct pagestream *ps, char **buf, struct cryo_error *e)
{
	/* a chunk is the page writing's step: the place to notice a stop asked for */
	if (interrupt_check(ps->pid, e))
		return -1;
	pthread_mutex_lock(&ps->lock);
	while (ps->slots[ps->head].full && !ps->failed)
		pthread_cond_wait(&ps->changed, &ps->lock);
	int failed = ps->failed;
	pthread_mutex_unlock(&ps->lock);
	if (failed)
		return failed_copy(ps, e);
	*buf = ps->slots[ps->head].buf;
	return 0;
}

int ps_write_submit(struct pagestream *ps, size_t len, struct cryo_error *e)
{
	if (!len)
		return 0;
	pthread_mutex_lock(&ps->lock);
	ps->slots[ps->head].len = len;
	ps->slots[ps->head].full = 1;
	ps->head = (ps->head + 1) % PAGESTREAM_BUFFERS;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
	return 0;
}

int ps_write_end(struct pagestream *ps, struct cryo_error *e)
{
	pthread_mutex_lock(&ps->lock);
	while (ps->slots[ps->tail].full && !ps->failed)
		pthread_cond_wait(&ps->changed, &ps->lock);
	pthread_mutex_unlock(&ps->lock);
	int rc = ps->failed ? failed_copy(ps, e) : 0;
	if (!rc)
		rc = iw_end_external(ps->w, ps->offset, XXH3_64bits_digest(ps->hash), e);
	ps_free(ps);
	return rc;
}

/* ---- reading ---- */

/* Reading, slot->full: 0 empty, 1 full (at: its offset in the section), 2 taken by a consumer. */
#define SLOT_TAKEN 2

static int done_reading(const struct pagestream *ps)
{
	return ps->offset >= ps->end;
}

static struct slot *slot_in_state(struct pagestream *ps, int state)
{
	struct slot *best = NULL;
	for (int i = 0; i < PAGESTREAM_BUFFERS; i++)
		if (ps->slots[i].full == state && (!best || ps->slots[i].at < best->at))
			best = &ps->slots[i];
	return best;
}

static void *read_loop(void *arg)
{
	struct pagestream *ps = arg;
	uint64_t start = ps->offset;
	pthread_mutex_lock(&ps->lock);
	while (!done_reading(ps) && !ps->stop) {
		struct slot *s;
		while (!(s = slot_in_state(ps, 0)) && !ps->stop)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (ps->stop)
			break;
		pthread_mutex_unlock(&ps->lock);
		size_t n = ps->end - ps->offset < PAGESTREAM_CHUNK ? (size_t)(ps->end - ps->offset) : PAGESTREAM_CHUNK;
		int err = io_all(ps, s->buf, n, ps->offset);
		if (!err)
			XXH3_64bits_update(ps->hash, s->buf, n);    /* in file order: one reader */
		pthread_mutex_lock(&ps->lock);
		if (err) {
			fail_locked(ps, err, "read", "cannot read page data from context file");
			break;
		}
		s->at = ps->offset - start;
		s->len = n;
		s->full = 1;
		ps->offset += n;
		pthread_cond_broadcast(&ps->changed);
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

int ps_read_begin(struct pagestream **out, struct image_reader *r, const struct cryo_section_entry *pages,
		  struct cryo_error *e)
{
	struct pagestream *ps = ps_new(0, e);
	if (!ps || !ps->slots[PAGESTREAM_BUFFERS - 1].buf)
		goto fail;
	ps->path = r->path;
	ps->offset = pages->offset;
	ps->end = pages->offset + pages->length;
	ps->expected = pages->checksum;
	/* buffered: a context file still in the page cache is read at memory speed */
	ps->fd = r->fd;
	if (pthread_create(&ps->thread, NULL, read_loop, ps)) {
		cryo_fail(e, 0, RES, "pthread_create", EAGAIN, "cannot start the page reader");
		goto fail;
	}
	ps->started = 1;
	*out = ps;
	return 0;
fail:
	ps_free(ps);
	return -1;
}

int ps_read_take(struct pagestream *ps, struct ps_chunk *chunk, struct cryo_error *e)
{
	struct slot *s = NULL;
	pthread_mutex_lock(&ps->lock);
	while (!ps->failed && !(s = slot_in_state(ps, 1)) && !done_reading(ps))
		pthread_cond_wait(&ps->changed, &ps->lock);
	int failed = ps->failed;
	if (!failed && s) {
		s->full = SLOT_TAKEN;
		chunk->slot = (int)(s - ps->slots);
		chunk->data = s->buf;
		chunk->len = s->len;
		chunk->at = s->at;
	} else {
		chunk->len = 0;
	}
	pthread_mutex_unlock(&ps->lock);
	return failed ? failed_copy(ps, e) : 0;
}

void ps_read_release(struct pagestream *ps, const struct ps_chunk *chunk)
{
	pthread_mutex_lock(&ps->lock);
	ps->slots[chunk->slot].full = 0;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
}

int ps_read_end(struct pagestream *ps, struct cryo_error *e)
{
	int rc = 0;
	ps_stop_thread(ps);
	if (ps->failed)
		rc = failed_copy(ps, e);
	else if (ps->offset != ps->end || XXH3_64bits_digest(ps->hash) != ps->expected)
		rc = cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: page data checksum mismatch", ps->path);
	ps_free(ps);
	return rc;
}
