#include "pagestream.h"
#include "mapguard.h"
#include "progress.h"
#include "error.h"
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define RES "context file"
#define ALIGN 4096
#define MAX_SLOTS 8
#define ZSTD_SLOTS 6                /* producer, two compressors, the writer, and one spare each side */
#define NR_WORKERS 2                /* the machine's two cores; the producer mostly waits on them */
/* Reading: a cold file's reads are the restart's cost, and one 4 MiB read at
 * a time leaves the disk idle between them (measured here, cold 1 GiB,
 * buffered: 1 thread 550-730 MB/s, 4-6 threads 800-1100).  So several reads
 * are in flight, each slot's own; the consumers' writes overlap them. */
#define NR_READERS 4
#define READ_SLOTS MAX_SLOTS        /* the readers' and both consumers', with room to spare */
/* A file whose page data is (almost) all in the page cache is mapped, hashed and
 * handed to the consumers in place: the consumers' process_vm_writev is then
 * the one copy (perf, 1 GiB restart: read() into the slots was 22% of the
 * restart's CPU, as much as the writes into the process).  A cold file is read
 * as above: its cost is the disk, and the readers keep it busy. */
/* Mapped, a file that shrinks while it is mapped (its owner truncates it) would
 * kill the engine with SIGBUS where the engine reads the mapping itself.  So the
 * hash reads the mapping in place only where the executable guards such reads
 * (mapguard.h: cr_restart, cryo-engine); elsewhere (inside a JVM) only the kernel
 * reads it (process_vm_writev, MADV_POPULATE_READ: EFAULT), and the hash is taken
 * from pread() into one small buffer, which stays in the core's cache.  Measured
 * (1 GiB restart): through pread() the hash falls behind and the consumers wait
 * 100-120 ms for data; from the mapping 4-14 ms.
 * A compressed file is mapped only where reads are guarded: its consumers check and
 * decompress each block where it is mapped, and a block stored raw (data that did
 * not compress, random data all of it) goes to the process straight from the
 * mapping, as plain page data does. */
#define HASH_PIECE (256u << 10)
#define MAPPED_READERS 2            /* mapped: they map pieces in ahead of the consumers, one hashes at a time */
#define SAMPLE_BYTES (64u << 10)    /* tried first: data that does not shrink here is stored raw */
/* Writing compressed: a chunk goes out as blocks of PIECE bytes, each shuffled and compressed
 * while it is in the compressor's cache (2 MiB of L2 here: the piece and its shuffled copy).
 * Measured on the stencil grid, one thread, zstd -5: 1 MiB pieces compress at 1.18-1.24 GB/s
 * and decompress at 2.4 GB/s against 0.98-1.01 and 1.7 for whole 4 MiB chunks, 5.50x smaller
 * against 5.60x; 512 KiB pieces gained no more and lost more of the ratio. */
#define PIECE (1UL << 20)
#define MAX_PIECES (PAGESTREAM_CHUNK / PIECE)

/* Slot states.  Writing: EMPTY -> FILLED (submitted) -> WORKING (a compressor has it) -> READY ->
 * written -> EMPTY; uncompressed, submitted slots are READY at once.  Reading: EMPTY -> READING (a
 * reader claimed the next piece of the file) -> READ (its data is in) -> READY (hashed, in file order)
 * -> TAKEN (a consumer has it) -> EMPTY. */
enum { EMPTY, FILLED, WORKING, READY, TAKEN, READING, READ };

struct slot {
	char *buf;                  /* page data */
	char *stored;               /* compressed: the block's stored bytes (a zstd frame, padded) */
	size_t len;                 /* bytes of page data in buf */
	int state;
	uint64_t seq;               /* reading: the block's number (order of the file) */
	uint64_t at;                /* reading: offset of the chunk in the page data */
	struct cryo_page_block blk; /* reading compressed: what the block is */
	struct cryo_page_block pieces[MAX_PIECES];  /* writing compressed: the chunk's blocks, stored in turn */
	int nr_pieces;
	int whole_raw;              /* writing compressed: one raw block, written from buf */
	ZSTD_DCtx *dctx;            /* reading compressed: the consumer that takes the slot uses it */
	char *unpack;               /* reading compressed: a shuffled block before it is unshuffled */
};

struct pagestream {
	int writing;
	int lazy_buffers;           /* writing an incremental file: buffers faulted in as they fill */
	int compress;
	int level;
	int fd;                     /* buffered: see write_back */
	int own_fd;
	uint64_t start;             /* file offset of the section payload */
	uint64_t offset;            /* file offset of the next chunk */
	uint64_t end;               /* reading: end of the section */
	uint64_t raw_done;          /* writing compressed: page data written so far */
	uint64_t synced;            /* writing: file offset up to which page data is on the disk (or, with
				     * the flusher, on its way there) */
	pid_t pid;
	const char *path;
	struct slot slots[MAX_SLOTS];
	int nr_slots;
	size_t stored_cap;
	int head, tail;             /* producer fills head, the writer writes tail */
	int stop;
	int failed;
	struct cryo_error err;
	XXH3_state_t *hash;
	uint64_t expected;          /* reading: the section checksum */
	char *map;                  /* reading mapped: the page data's pages of the file, read-only */
	size_t map_len;
	uint64_t map_off;           /* file offset of map */
	char *hash_buf;             /* reading mapped: HASH_PIECE bytes, for the reader that promotes */
	pthread_t thread;
	int started;
	pthread_t flusher;          /* writing, the processes let go before the commit: flush_loop */
	int flusher_started;
	pthread_t workers[NR_WORKERS > NR_READERS ? NR_WORKERS : NR_READERS];
	int nr_workers;             /* compressors (writing) or readers (reading) */
	uint64_t next_seq;          /* reading: the number the next claimed piece gets */
	uint64_t ready_seq;         /* reading: the next piece to become READY (all before it are) */
	int promoting;              /* reading: a reader is hashing ready_seq's piece */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct image_writer *w;
	struct cryo_page_block *blocks;  /* writing: the index so far; reading: the file's */
	size_t nr_blocks, blocks_cap;
	size_t next_block;          /* reading compressed: the next one to read */
	/* writing uncompressed: the checksum of every CRYO_PAGE_SUM_BLOCK bytes (PAGE_SUMS, lazy restarts) */
	struct page_sums sums;
	/* CRYO_TIMING: where the page data's time goes (ms, summed over the threads) */
	double wait_buffer_ms;      /* writing: the producer waiting for a free buffer */
	double compress_ms;         /* writing: the compressors at work */
	double write_ms;            /* writing: the writer in write and writeback */
	double unpack_ms;           /* reading compressed: the consumers checking and decompressing */
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void print_timing(const struct pagestream *ps)
{
	if (!getenv("CRYO_TIMING"))
		return;
	if (ps->writing)
		fprintf(stderr, "cryo: (pages: waiting for buffers %.0f ms, compressing %.0f ms on %d threads, "
			"writing %.0f ms)\n", ps->wait_buffer_ms, ps->compress_ms, ps->compress ? NR_WORKERS : 0,
			ps->write_ms);
	else if (ps->compress)
		fprintf(stderr, "cryo: (pages: checking and decompressing %.0f ms, summed over the consumers)\n",
			ps->unpack_ms);
}

static uint64_t align_up(uint64_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static char *map_buffer(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Reading: the first read into a buffer faults it in, on the reader's thread, in parallel with
 * the others, rather than all of them up front on the restart's own. */
static char *map_read_buffer(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A writer's chunk buffers, kept for the next writer in this process: a
 * pre-copy writes a file per round and a last one frozen, whose pages would
 * otherwise go into buffers faulted in afresh (zeroed by the kernel, and on a
 * VM often backed anew by the host: 20% of that step's page time).
 * PAGESTREAM_BUFFERS of them at most, PAGESTREAM_CHUNK bytes each.
 */
static struct {
	pthread_mutex_t lock;
	char *free[PAGESTREAM_BUFFERS];
	int nr;
} kept_buffers = { .lock = PTHREAD_MUTEX_INITIALIZER };

static char *take_kept_buffer(void)
{
	char *p = NULL;
	pthread_mutex_lock(&kept_buffers.lock);
	if (kept_buffers.nr)
		p = kept_buffers.free[--kept_buffers.nr];
	pthread_mutex_unlock(&kept_buffers.lock);
	return p;
}

static void keep_or_unmap_buffer(char *p)
{
	pthread_mutex_lock(&kept_buffers.lock);
	if (kept_buffers.nr < PAGESTREAM_BUFFERS) {
		kept_buffers.free[kept_buffers.nr++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&kept_buffers.lock);
	if (p)
		munmap(p, PAGESTREAM_CHUNK);
}

/* Mapped, a slot's file bytes are the mapping's (plain: buf; compressed: stored), not its own. */
static int slot_owns_buf(const struct pagestream *ps)
{
	return !ps->map || ps->compress;
}

static int slot_owns_stored(const struct pagestream *ps)
{
	return ps->compress && !ps->map;
}

static int alloc_slots(struct pagestream *ps, struct cryo_error *e)
{
	if (!slot_owns_buf(ps))
		return 0;               /* the slots point into the mapping */
	/* writing: every piece's worst case in turn; reading: one block's (at most a chunk's) */
	ps->stored_cap = !ps->compress ? 0 : ps->writing ? MAX_PIECES * align_up(ZSTD_compressBound(PIECE))
							 : align_up(ZSTD_compressBound(PAGESTREAM_CHUNK));
	for (int i = 0; i < ps->nr_slots; i++) {
		struct slot *s = &ps->slots[i];
		char *(*map)(size_t) = ps->writing && !ps->lazy_buffers ? map_buffer : map_read_buffer;
		s->buf = ps->writing ? take_kept_buffer() : NULL;
		if (!s->buf)
			s->buf = map(PAGESTREAM_CHUNK);
		if (slot_owns_stored(ps))
			s->stored = map(ps->stored_cap);
		if (ps->compress && !ps->writing) {
			s->dctx = ZSTD_createDCtx();
			s->unpack = map(PAGESTREAM_CHUNK);
		}
		if (!s->buf || (slot_owns_stored(ps) && !s->stored) ||
		    (ps->compress && !ps->writing && (!s->dctx || !s->unpack)))
			return cryo_fail(e, 0, RES, "mmap", ENOMEM, "out of memory for page buffers");
	}
	return 0;
}

/* nr_slots: 0 for the mode's default */
static struct pagestream *ps_new(int writing, int compress, int nr_slots, struct cryo_error *e)
{
	struct pagestream *ps = calloc(1, sizeof(*ps));
	if (!ps) {
		cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		return NULL;
	}
	ps->writing = writing;
	ps->compress = compress;
	ps->nr_slots = nr_slots ? nr_slots : compress ? ZSTD_SLOTS : PAGESTREAM_BUFFERS;
	ps->fd = -1;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->changed, NULL);
	ps->hash = XXH3_createState();
	if (!ps->hash) {
		cryo_fail(e, 0, RES, "malloc", ENOMEM, "out of memory");
		ps->failed = 1;
		return ps;          /* caller frees */
	}
	XXH3_64bits_reset(ps->hash);
	return ps;
}

static void ps_stop_threads(struct pagestream *ps)
{
	pthread_mutex_lock(&ps->lock);
	ps->stop = 1;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
	if (ps->started)
		pthread_join(ps->thread, NULL);
	ps->started = 0;
	if (ps->flusher_started)
		pthread_join(ps->flusher, NULL);
	ps->flusher_started = 0;
	for (int i = 0; i < ps->nr_workers; i++)
		pthread_join(ps->workers[i], NULL);
	ps->nr_workers = 0;
}

static void ps_free(struct pagestream *ps)
{
	if (!ps)
		return;
	ps_stop_threads(ps);
	for (int i = 0; i < ps->nr_slots; i++) {
		if (ps->slots[i].buf && slot_owns_buf(ps)) {
			if (ps->writing)
				keep_or_unmap_buffer(ps->slots[i].buf);
			else
				munmap(ps->slots[i].buf, PAGESTREAM_CHUNK);
		}
		if (ps->slots[i].stored && slot_owns_stored(ps))
			munmap(ps->slots[i].stored, ps->stored_cap);
		ZSTD_freeDCtx(ps->slots[i].dctx);
		if (ps->slots[i].unpack)
			munmap(ps->slots[i].unpack, PAGESTREAM_CHUNK);
	}
	if (ps->map)
		munmap(ps->map, ps->map_len);
	if (ps->hash_buf)
		munmap(ps->hash_buf, HASH_PIECE);
	if (ps->own_fd && ps->fd >= 0)
		close(ps->fd);
	if (ps->hash)
		XXH3_freeState(ps->hash);
	free(ps->blocks);
	page_sums_free(&ps->sums);
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

/* An 8x8 byte matrix transposed in place: afterwards byte i of x[k] is what
 * byte k of x[i] was (its own inverse). */
static void transpose8x8(uint64_t x[8])
{
	for (int i = 0; i < 4; i++) {
		uint64_t a = x[i], b = x[i + 4];
		x[i] = (a & 0x00000000FFFFFFFFULL) | (b << 32);
		x[i + 4] = (a >> 32) | (b & 0xFFFFFFFF00000000ULL);
	}
	for (int i = 0; i < 8; i += (i % 4 == 1) ? 3 : 1) {
		uint64_t a = x[i], b = x[i + 2];
		x[i] = (a & 0x0000FFFF0000FFFFULL) | ((b & 0x0000FFFF0000FFFFULL) << 16);
		x[i + 2] = ((a >> 16) & 0x0000FFFF0000FFFFULL) | (b & 0xFFFF0000FFFF0000ULL);
	}
	for (int i = 0; i < 8; i += 2) {
		uint64_t a = x[i], b = x[i + 1];
		x[i] = (a & 0x00FF00FF00FF00FFULL) | ((b & 0x00FF00FF00FF00FFULL) << 8);
		x[i + 1] = ((a >> 8) & 0x00FF00FF00FF00FFULL) | (b & 0xFF00FF00FF00FF00ULL);
	}
}

/* Byte k of every 8-byte word together, k = 0..7: the sign, exponent and
 * high mantissa bytes of doubles (or the high bytes of integers) that vary
 * slowly then make long runs that zstd finds, where in place they are broken
 * up by the noisy low bytes.  len: a multiple of 64; eight words at a time. */
static void shuffle8_scalar(char *restrict out, const char *restrict in, size_t len, size_t from)
{
	size_t words = len / 8;
	for (size_t g = from; g < words; g += 8) {
		uint64_t x[8];
		memcpy(x, in + g * 8, 64);
		transpose8x8(x);
		for (int k = 0; k < 8; k++)
			memcpy(out + k * words + g, &x[k], 8);
	}
}

static void unshuffle8_scalar(char *restrict out, const char *restrict in, size_t len, size_t from)
{
	size_t words = len / 8;
	for (size_t g = from; g < words; g += 8) {
		uint64_t x[8];
		for (int k = 0; k < 8; k++)
			memcpy(&x[k], in + k * words + g, 8);
		transpose8x8(x);
		memcpy(out + g * 8, x, 64);
	}
}

#ifdef __SSE2__
#include <emmintrin.h>

/* 128 bytes in eight registers, byte i of the 128 in register i >> 4 at
 * position i & 15: interleaving the bytes of registers j and j + 4 into
 * registers 2j and 2j + 1 moves byte i to where its 7-bit index rotated left
 * by one says.  16 words of 8 bytes (index: word << 3 | byte) become 8 planes
 * of 16 bytes (byte << 4 | word) after four rotations, and back after three. */
static void rotate_index(__m128i r[8])
{
	__m128i t[8];
	for (int j = 0; j < 4; j++) {
		t[2 * j] = _mm_unpacklo_epi8(r[j], r[j + 4]);
		t[2 * j + 1] = _mm_unpackhi_epi8(r[j], r[j + 4]);
	}
	memcpy(r, t, sizeof(t));
}

/* The same bytes as shuffle8_scalar, 16 words at a time with SSE2 (x86-64's
 * baseline): the scalar loop ran at 1.7 GB/s here, as slow as zstd's fast
 * levels themselves; the scalar loop does what is left below 16 words. */
static void shuffle8(char *restrict out, const char *restrict in, size_t len)
{
	size_t words = len / 8, g;
	for (g = 0; g + 16 <= words; g += 16) {
		__m128i r[8];
		for (int i = 0; i < 8; i++)
			r[i] = _mm_loadu_si128((const __m128i *)(in + g * 8 + 16 * i));
		for (int round = 0; round < 4; round++)
			rotate_index(r);
		for (int k = 0; k < 8; k++)
			_mm_storeu_si128((__m128i *)(out + k * words + g), r[k]);
	}
	shuffle8_scalar(out, in, len, g);
}

static void unshuffle8(char *restrict out, const char *restrict in, size_t len)
{
	size_t words = len / 8, g;
	for (g = 0; g + 16 <= words; g += 16) {
		__m128i r[8];
		for (int k = 0; k < 8; k++)
			r[k] = _mm_loadu_si128((const __m128i *)(in + k * words + g));
		for (int round = 0; round < 3; round++)
			rotate_index(r);
		for (int i = 0; i < 8; i++)
			_mm_storeu_si128((__m128i *)(out + g * 8 + 16 * i), r[i]);
	}
	unshuffle8_scalar(out, in, len, g);
}
#else
static void shuffle8(char *restrict out, const char *restrict in, size_t len)
{
	shuffle8_scalar(out, in, len, 0);
}

static void unshuffle8(char *restrict out, const char *restrict in, size_t len)
{
	unshuffle8_scalar(out, in, len, 0);
}
#endif

/* zstd's answer if it is worth keeping: the frame's size, or 0 (store raw). */
static size_t zstd_if_smaller(ZSTD_CCtx *cctx, char *out, size_t cap, const char *in, size_t len, int level)
{
	size_t n = ZSTD_compressCCtx(cctx, out, cap, in, len, level);
	/* a block that saves less than 1/32 is not worth decompressing at restart */
	return !ZSTD_isError(n) && n < len - len / 32 ? n : 0;
}

/* Which encoding the block's first SAMPLE_BYTES say pays: zstd of the data as
 * it is or shuffled, whichever is smaller, or raw when neither shrinks (random
 * data then costs a sample, not a whole compression). */
static int choose_encoding(struct pagestream *ps, ZSTD_CCtx *cctx, struct slot *s, char *scratch)
{
	size_t sample = s->len < SAMPLE_BYTES ? s->len : SAMPLE_BYTES;
	size_t plain = zstd_if_smaller(cctx, s->stored, ps->stored_cap, s->buf, sample, ps->level);
	shuffle8(scratch, s->buf, sample);
	size_t shuffled = zstd_if_smaller(cctx, s->stored, ps->stored_cap, scratch, sample, ps->level);
	if (shuffled && (!plain || shuffled < plain))
		return CRYO_BLOCK_ZSTD_SHUFFLE8;
	return plain ? CRYO_BLOCK_ZSTD : CRYO_BLOCK_RAW;
}

/* One 8-byte value over and over (zeros most often, or any one
 * value): zstd finds the runs as they are, so shuffling them first would be a
 * wasted pass over the memory (at restart too).  Stops at the first change.
 * (A sample of each piece instead of the chunk's choosing its encoding was
 * tried: on the grid it chose worse, 4.64x against 4.76x, at the same speed.) */
static int one_value(const char *p, size_t len)
{
	return len > 8 && !memcmp(p, p + 8, len - 8);
}

/* One piece of the chunk, [at, at + len) of its page data, as the chunk's
 * next block at *out in s->stored: compressed with the chunk's encoding, or
 * raw when it does not shrink; padded with zeros to a page (the format's
 * rule), checksum included. */
static void compress_piece(struct pagestream *ps, ZSTD_CCtx *cctx, struct slot *s, size_t at, size_t len,
			   int encoding, char *scratch, size_t *out)
{
	const char *in = s->buf + at;
	char *to = s->stored + *out;
	size_t cap = ps->stored_cap - *out;
	if (encoding == CRYO_BLOCK_ZSTD_SHUFFLE8 && one_value(in, len))
		encoding = CRYO_BLOCK_ZSTD;
	if (encoding == CRYO_BLOCK_ZSTD_SHUFFLE8) {
		shuffle8(scratch, in, len);
		in = scratch;
	}
	size_t stored = zstd_if_smaller(cctx, to, cap, in, len, ps->level);
	struct cryo_page_block *b = &s->pieces[s->nr_pieces++];
	*b = (struct cryo_page_block){ .raw_len = (uint32_t)len, .encoding = (uint32_t)encoding };
	if (!stored) {
		memcpy(to, s->buf + at, len);
		stored = len;
		b->encoding = CRYO_BLOCK_RAW;
	}
	memset(to + stored, 0, align_up(stored) - stored);
	b->stored_len = (uint32_t)stored;
	b->checksum = XXH3_64bits(to, stored);
	*out += align_up(stored);
}

/* A chunk's stored form: see choose_encoding; data that does not shrink is
 * one raw block, the rest one block per PIECE.  scratch: PAGESTREAM_CHUNK
 * bytes of the worker's own. */
static void compress_slot(struct pagestream *ps, ZSTD_CCtx *cctx, struct slot *s, char *scratch)
{
	int encoding = choose_encoding(ps, cctx, s, scratch);
	s->nr_pieces = 0;
	s->whole_raw = encoding == CRYO_BLOCK_RAW;
	if (s->whole_raw) {
		s->pieces[s->nr_pieces++] = (struct cryo_page_block){
			.raw_len = (uint32_t)s->len, .stored_len = (uint32_t)s->len,
			.encoding = CRYO_BLOCK_RAW, .checksum = XXH3_64bits(s->buf, s->len) };
		return;
	}
	size_t out = 0;
	for (size_t at = 0; at < s->len; at += PIECE)
		compress_piece(ps, cctx, s, at, s->len - at < PIECE ? s->len - at : PIECE, encoding, scratch, &out);
}

/* The submitted slot nearest the writer's turn, or NULL. */
static struct slot *next_filled(struct pagestream *ps)
{
	for (int k = 0; k < ps->nr_slots; k++) {
		struct slot *s = &ps->slots[(ps->tail + k) % ps->nr_slots];
		if (s->state == FILLED)
			return s;
	}
	return NULL;
}

static void *compress_loop(void *arg)
{
	struct pagestream *ps = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	char *scratch = map_buffer(PAGESTREAM_CHUNK);
	pthread_mutex_lock(&ps->lock);
	if (!cctx || !scratch)
		fail_locked(ps, ENOMEM, "ZSTD_createCCtx", "out of memory to compress page data for");
	while (cctx && scratch && !ps->failed) {
		struct slot *s;
		while (!(s = next_filled(ps)) && !ps->stop && !ps->failed)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (!s)
			break;
		s->state = WORKING;
		pthread_mutex_unlock(&ps->lock);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		compress_slot(ps, cctx, s, scratch);
		double ms = ms_since(&t0);
		pthread_mutex_lock(&ps->lock);
		ps->compress_ms += ms;
		s->state = READY;
		pthread_cond_broadcast(&ps->changed);
	}
	pthread_mutex_unlock(&ps->lock);
	ZSTD_freeCCtx(cctx);
	if (scratch)
		munmap(scratch, PAGESTREAM_CHUNK);
	return NULL;
}

static int add_block(struct pagestream *ps, const struct cryo_page_block *b)
{
	if (ps->nr_blocks == ps->blocks_cap) {
		size_t cap = ps->blocks_cap ? ps->blocks_cap * 2 : 256;
		struct cryo_page_block *n = realloc(ps->blocks, cap * sizeof(*n));
		if (!n)
			return ENOMEM;
		ps->blocks = n;
		ps->blocks_cap = cap;
	}
	ps->blocks[ps->nr_blocks++] = *b;
	return 0;
}

/* ---- block checksums (PAGE_SUMS) ---- */

int page_sums_init(struct page_sums *s)
{
	*s = (struct page_sums){ .block = XXH3_createState() };
	if (!s->block)
		return -1;
	XXH3_64bits_reset(s->block);
	return 0;
}

void page_sums_restart(struct page_sums *s)
{
	s->nr = 0;
	s->fill = 0;
	s->failed = 0;
	XXH3_64bits_reset(s->block);
}

static void end_sum_block(struct page_sums *s)
{
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *grown = realloc(s->sums, cap * sizeof(*grown));
		if (!grown) {
			s->failed = 1;
			return;
		}
		s->sums = grown;
		s->cap = cap;
	}
	s->sums[s->nr++] = XXH3_64bits_digest(s->block);
	XXH3_64bits_reset(s->block);
	s->fill = 0;
}

/* A block may span two pieces of data given. */
void page_sums_add(struct page_sums *s, const void *data, size_t len)
{
	const char *p = data;
	while (len && !s->failed) {
		size_t n = CRYO_PAGE_SUM_BLOCK - s->fill;
		if (n > len)
			n = len;
		XXH3_64bits_update(s->block, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == CRYO_PAGE_SUM_BLOCK)
			end_sum_block(s);
	}
}

void page_sums_finish(struct page_sums *s)
{
	if (s->fill && !s->failed)
		end_sum_block(s);
}

void page_sums_free(struct page_sums *s)
{
	if (s->block)
		XXH3_freeState(s->block);
	free(s->sums);
	*s = (struct page_sums){ 0 };
}

int page_sums_write(struct image_writer *w, const uint64_t *sums, size_t nr, struct cryo_error *e)
{
	struct cryo_page_sums h = { .block_size = CRYO_PAGE_SUM_BLOCK, .nr_blocks = nr };
	return iw_begin(w, CRYO_SEC_PAGE_SUMS, 8, e) || iw_write(w, &h, sizeof(h), e) ||
	       (nr && iw_write(w, sums, nr * sizeof(*sums), e)) || iw_end(w, e) ? -1 : 0;
}

/* Page data goes through the page cache, so that a restart right after the
 * checkpoint (a preempted job's) reads it from memory.  Where the processes
 * stay frozen until the commit (ended by it, or held), it is made durable as
 * it goes: each chunk's writeback starts once it is written, and the writer
 * waits for the disk only on what is SYNC_BEHIND behind, which bounds the
 * dirty pages and leaves the final fsync (iw_commit) little to do.  Where
 * they run on before the commit, their freeze does not wait for the disk:
 * the page cache takes the data (the kernel's dirty limits pace a large
 * one), the flusher starts its writeback as it lands, and the fsync writes
 * the rest while they run. */
#define SYNC_BEHIND (16 * PAGESTREAM_CHUNK)

static int write_back(struct pagestream *ps, uint64_t off, size_t len)
{
	/* a pre-copy round: its file is made durable by another commit */
	if (ps->w->no_fsync || ps->w->durable_after_release)
		return 0;
	if (sync_file_range(ps->fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE) < 0)
		return errno;
	uint64_t end = off + len;
	if (end - ps->synced <= SYNC_BEHIND)
		return 0;
	uint64_t upto = end - SYNC_BEHIND;
	if (sync_file_range(ps->fd, (off_t)ps->synced, (off_t)(upto - ps->synced),
			    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		return errno;
	ps->synced = upto;
	return 0;
}

/* Write the slot's data (uncompressed) or its block, recorded in the index. */
static int write_slot(struct pagestream *ps, struct slot *s, size_t *written)
{
	if (!ps->compress) {
		*written = s->len;       /* hashed by ps_write_submit */
		int err = io_all(ps, s->buf, s->len, ps->offset);
		return err ? err : write_back(ps, ps->offset, s->len);
	}
	char *data = s->whole_raw ? s->buf : s->stored;
	size_t total = 0;
	int err = 0;
	/* no section checksum: each block has its own (a second pass over the data would cost as much) */
	for (int i = 0; i < s->nr_pieces && !err; i++) {
		struct cryo_page_block b = s->pieces[i];
		b.raw_offset = ps->raw_done;
		b.stored_offset = ps->offset - ps->start + total;
		err = add_block(ps, &b);
		total += align_up(b.stored_len);
		ps->raw_done += b.raw_len;
	}
	*written = total;
	if (!err)
		err = io_all(ps, data, total, ps->offset);
	if (!err)
		err = write_back(ps, ps->offset, total);
	return err;
}

static void *write_loop(void *arg)
{
	struct pagestream *ps = arg;
	pthread_mutex_lock(&ps->lock);
	for (;;) {
		struct slot *s = &ps->slots[ps->tail];
		while (s->state != READY && !(ps->stop && s->state == EMPTY) && !ps->failed)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (s->state != READY)
			break;
		pthread_mutex_unlock(&ps->lock);
		size_t written;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int err = write_slot(ps, s, &written);
		ps->write_ms += ms_since(&t0);     /* the writer's own: no lock needed */
		pthread_mutex_lock(&ps->lock);
		if (err) {
			fail_locked(ps, err, "write", "cannot write page data to context file");
			break;
		}
		ps->offset += written;
		cryo_progress_add(s->len);      /* page data, before compression: what the total counts */
		s->state = EMPTY;
		ps->tail = (ps->tail + 1) % ps->nr_slots;
		pthread_cond_broadcast(&ps->changed);
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

/* The writeback of what the writer has written, started as it lands, on a
 * thread of its own: sync_file_range blocks while the device's queue is full,
 * which the frozen writer must not.  What it starts, and any error, the
 * commit's fsync waits for and reports. */
static void *flush_loop(void *arg)
{
	struct pagestream *ps = arg;
	pthread_mutex_lock(&ps->lock);
	for (;;) {
		while (ps->offset == ps->synced && !ps->stop && !ps->failed)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (ps->stop || ps->failed)
			break;
		uint64_t from = ps->synced, to = ps->offset;
		pthread_mutex_unlock(&ps->lock);
		(void)sync_file_range(ps->fd, (off_t)from, (off_t)(to - from), SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&ps->lock);
		ps->synced = to;
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

static int start_thread(struct pagestream *ps, pthread_t *t, void *(*fn)(void *), const char *what,
			struct cryo_error *e)
{
	if (pthread_create(t, NULL, fn, ps))
		return cryo_fail(e, ps->pid, RES, "pthread_create", EAGAIN, "cannot start the %s", what);
	return 0;
}

static int start_compressors(struct pagestream *ps, struct cryo_error *e)
{
	for (int i = 0; i < NR_WORKERS; i++) {
		if (start_thread(ps, &ps->workers[i], compress_loop, "page compressor", e))
			return -1;
		ps->nr_workers++;
	}
	return 0;
}

int ps_write_begin(struct pagestream **out, struct image_writer *w, struct cryo_error *e)
{
	struct pagestream *ps = ps_new(1, w->compress, 0, e);
	/* an incremental file's pages are few (a pre-copy's last step, frozen: 32 MiB of
	 * buffers populated up front cost it 10 ms): each buffer is faulted in as it fills */
	if (ps)
		ps->lazy_buffers = (w->flags & CRYO_FILE_INCREMENTAL) != 0;
	if (ps && !ps->failed && alloc_slots(ps, e))
		ps->failed = 1;
	if (!ps || ps->failed)
		goto fail;
	ps->level = w->compress_level;
	if (!ps->compress && page_sums_init(&ps->sums)) {
		cryo_fail(e, w->pid, RES, "malloc", ENOMEM, "out of memory");
		goto fail;
	}
	if (iw_begin(w, CRYO_SEC_PAGES, CRYO_PAGE_SIZE, e) || iw_flush(w, e))
		goto fail;
	ps->w = w;
	ps->pid = w->pid;
	ps->path = w->tmp_path;
	ps->start = ps->offset = ps->synced = w->pos;
	ps->fd = iw_reopen(w, O_WRONLY, e);
	ps->own_fd = 1;
	if (ps->fd < 0)
		goto fail;
	if (start_thread(ps, &ps->thread, write_loop, "page writer", e))
		goto fail;
	ps->started = 1;
	if (w->durable_after_release) {
		if (start_thread(ps, &ps->flusher, flush_loop, "page flusher", e))
			goto fail;
		ps->flusher_started = 1;
	}
	if (ps->compress && start_compressors(ps, e))
		goto fail;
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
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&ps->lock);
	while (ps->slots[ps->head].state != EMPTY && !ps->failed)
		pthread_cond_wait(&ps->changed, &ps->lock);
	int failed = ps->failed;
	pthread_mutex_unlock(&ps->lock);
	ps->wait_buffer_ms += ms_since(&t0);    /* the producer's own */
	if (failed)
		return failed_copy(ps, e);
	*buf = ps->slots[ps->head].buf;
	return 0;
}

int ps_write_submit(struct pagestream *ps, size_t len, struct cryo_error *e)
{
	if (!len)
		return 0;
	/* Uncompressed, the checksums are taken here, on the producer's thread, in
	 * file order: the writer's copy into the page cache is the heaviest step of
	 * the pipeline (on a loaded machine it set the pace, with both hashes on
	 * it as well), and the producer has just read the data, so it is cached. */
	if (!ps->compress) {
		XXH3_64bits_update(ps->hash, ps->slots[ps->head].buf, len);
		page_sums_add(&ps->sums, ps->slots[ps->head].buf, len);
	}
	pthread_mutex_lock(&ps->lock);
	ps->slots[ps->head].len = len;
	ps->slots[ps->head].state = ps->compress ? FILLED : READY;
	ps->head = (ps->head + 1) % ps->nr_slots;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
	return 0;
}

/* The compressed section's table entry says so; its index follows it. */
static int end_blocks(struct pagestream *ps, struct cryo_error *e)
{
	struct image_writer *w = ps->w;
	w->sections[w->nr_sections - 1].flags = CRYO_PAGES_BLOCKS;
	return iw_begin(w, CRYO_SEC_PAGE_BLOCKS, 8, e) ||
	       iw_write(w, ps->blocks, ps->nr_blocks * sizeof(*ps->blocks), e) || iw_end(w, e) ? -1 : 0;
}

int ps_write_end(struct pagestream *ps, struct cryo_error *e)
{
	return ps_write_end_with_sums(ps, NULL, NULL, e);
}

int ps_write_end_with_sums(struct pagestream *ps, uint64_t **sums, size_t *nr_sums, struct cryo_error *e)
{
	if (sums) {
		*sums = NULL;
		*nr_sums = 0;
	}
	pthread_mutex_lock(&ps->lock);
	while (ps->slots[ps->tail].state != EMPTY && !ps->failed)
		pthread_cond_wait(&ps->changed, &ps->lock);
	pthread_mutex_unlock(&ps->lock);
	int rc = ps->failed ? failed_copy(ps, e) : 0;
	ps_stop_threads(ps);
	print_timing(ps);
	if (!rc)
		rc = iw_end_external(ps->w, ps->offset, ps->compress ? 0 : XXH3_64bits_digest(ps->hash), e);
	if (!rc && ps->compress)
		rc = end_blocks(ps, e);
	if (!rc && !ps->compress)
		page_sums_finish(&ps->sums);
	if (!rc && ps->sums.failed)
		rc = cryo_fail(e, ps->pid, RES, "malloc", ENOMEM, "out of memory for the page checksums");
	if (!rc && sums && !ps->compress) {
		*sums = ps->sums.sums;
		*nr_sums = ps->sums.nr;
		ps->sums.sums = NULL;
	}
	ps_free(ps);
	return rc;
}

/* ---- the block index ---- */

static int corrupt_index(struct image_reader *r, size_t i, struct cryo_error *e)
{
	return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: compressed page block %zu out of bounds",
			 r->path, i);
}

/* Every block within bounds, their page data contiguous, their stored bytes tiling the payload. */
static int check_blocks(struct image_reader *r, const struct cryo_section_entry *pages,
			const struct cryo_page_block *b, size_t nr, uint64_t *length, struct cryo_error *e)
{
	uint64_t raw = 0, stored = 0;
	for (size_t i = 0; i < nr; i++) {
		int bad_len = !b[i].raw_len || b[i].raw_len > CRYO_BLOCK_MAX || b[i].raw_len % CRYO_PAGE_SIZE ||
			      !b[i].stored_len || b[i].stored_len > align_up(ZSTD_compressBound(CRYO_BLOCK_MAX));
		int bad_kind = b[i].reserved || b[i].encoding > CRYO_BLOCK_ZSTD_SHUFFLE8 ||
			       (b[i].encoding == CRYO_BLOCK_RAW && b[i].stored_len != b[i].raw_len);
		if (bad_len || bad_kind || b[i].raw_offset != raw || b[i].stored_offset != stored ||
		    align_up(b[i].stored_len) > pages->length - stored)
			return corrupt_index(r, i, e);
		raw += b[i].raw_len;
		stored += align_up(b[i].stored_len);
	}
	if (stored != pages->length)
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: compressed page data size mismatch",
				 r->path);
	*length = raw;
	return 0;
}

static int load_blocks(struct image_reader *r, const struct cryo_section_entry *pages,
		       struct cryo_page_block **out, size_t *nr, uint64_t *length, struct cryo_error *e)
{
	size_t k = (size_t)(pages - r->table) + 1;
	const struct cryo_section_entry *idx = k < r->nr_sections ? &r->table[k] : NULL;
	void *buf = NULL;
	if (!idx || idx->type != CRYO_SEC_PAGE_BLOCKS || idx->length % sizeof(struct cryo_page_block))
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: compressed page data without its index",
				 r->path);
	if (ir_load(r, idx, &buf, e))
		return -1;
	*nr = idx->length / sizeof(struct cryo_page_block);
	if (XXH3_64bits(buf, idx->length) != idx->checksum) {
		free(buf);
		return cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: checksum mismatch in the page block index",
				 r->path);
	}
	if (check_blocks(r, pages, buf, *nr, length, e)) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

int ps_page_data_length(struct image_reader *r, const struct cryo_section_entry *pages, uint64_t *length,
			struct cryo_page_block **blocks, size_t *nr, struct cryo_error *e)
{
	if (pages->flags & ~CRYO_PAGES_BLOCKS)
		return cryo_fail(e, 0, RES, "", 0, "context file %s: page data in an encoding this engine does not know "
				 "(flags %#x): written by a newer Cryo?", r->path, pages->flags);
	if (!(pages->flags & CRYO_PAGES_BLOCKS)) {
		*length = pages->length;
		if (blocks)
			*blocks = NULL, *nr = 0;
		return 0;
	}
	struct cryo_page_block *b = NULL;
	size_t n = 0;
	if (load_blocks(r, pages, &b, &n, length, e))
		return -1;
	if (blocks) {
		*blocks = b;
		*nr = n;
	} else {
		free(b);
	}
	return 0;
}

/* ---- reading ---- */

/* Every piece of the section claimed by a reader. */
static int all_claimed(const struct pagestream *ps)
{
	return ps->compress ? ps->next_block >= ps->nr_blocks : ps->offset >= ps->end;
}

/* Nothing more will become READY: everything claimed, and read and promoted. */
static int done_reading(const struct pagestream *ps)
{
	return all_claimed(ps) && ps->ready_seq == ps->next_seq;
}

static struct slot *slot_in_state(struct pagestream *ps, int state)
{
	struct slot *best = NULL;
	for (int i = 0; i < ps->nr_slots; i++)
		if (ps->slots[i].state == state && (!best || ps->slots[i].seq < best->seq))
			best = &ps->slots[i];
	return best;
}

static struct slot *slot_with_seq(struct pagestream *ps, int state, uint64_t seq)
{
	for (int i = 0; i < ps->nr_slots; i++)
		if (ps->slots[i].state == state && ps->slots[i].seq == seq)
			return &ps->slots[i];
	return NULL;
}

/* The next piece of the section for s, claimed under the lock: its place in the file. */
static void claim_next(struct pagestream *ps, struct slot *s, uint64_t *off, size_t *n)
{
	*off = ps->offset;
	if (ps->compress) {
		const struct cryo_page_block *b = &ps->blocks[ps->next_block++];
		s->blk = *b;
		*n = align_up(b->stored_len);
		s->at = b->raw_offset;
		s->len = b->raw_len;
	} else {
		*n = ps->end - ps->offset < PAGESTREAM_CHUNK ? (size_t)(ps->end - ps->offset) : PAGESTREAM_CHUNK;
		s->at = ps->offset - ps->start;
		s->len = *n;
	}
	if (ps->map && ps->compress)
		s->stored = ps->map + (*off - ps->map_off);
	else if (ps->map)
		s->buf = ps->map + (*off - ps->map_off);
	ps->offset += *n;
	s->seq = ps->next_seq++;
	s->state = READING;
}

/* The context file is shorter than its page data: it changed under the restart. */
static int source_shrank(struct pagestream *ps, uint64_t *size)
{
	struct stat st;
	*size = fstat(ps->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return *size < ps->end;
}

/* Under the lock: a read of page data failed. */
static int fail_reading(struct pagestream *ps, int err, const char *sc)
{
	uint64_t size;
	if (!ps->failed && source_shrank(ps, &size)) {
		cryo_fail(&ps->err, ps->pid, RES, sc, err, "context file %s shrank to %llu bytes while it was read",
			  ps->path, (unsigned long long)size);
		ps->failed = 1;
		pthread_cond_broadcast(&ps->changed);
		return -1;
	}
	return fail_locked(ps, err, sc, "cannot read page data from context file");
}

/* CRYO_FAULT_SHRINK_PAGES=N (tests): once piece N (from 1) is hashed, the file is cut
 * back to the start of its page data, as its owner could do at that moment: just before
 * piece N + 1, mapped in already, is hashed (in place, it faults).  Compressed, the
 * consumer that takes block N + 1 cuts it just before it checks that block. */
static void fault_shrink_before(struct pagestream *ps, const struct slot *s)
{
	const char *v = getenv("CRYO_FAULT_SHRINK_PAGES");
	if (v && strtoull(v, NULL, 10) == s->seq && truncate(ps->path, (off_t)ps->start) < 0)
		perror("cryo: CRYO_FAULT_SHRINK_PAGES: truncate");
}

static void hash_update(void *hash, const void *p, size_t n)
{
	XXH3_64bits_update(hash, p, n);
}

/* Mapped: piece s hashed as the file holds it now, in place where a fault is caught
 * (EFAULT if the file shrank under it), else through hash_buf (see HASH_PIECE);
 * 0 or the errno of the read. */
static int hash_piece(struct pagestream *ps, const struct slot *s)
{
	fault_shrink_before(ps, s);
	if (!ps->hash_buf)
		return cryo_guarded_read(s->buf, s->len, hash_update, ps->hash);
	for (size_t done = 0; done < s->len;) {
		size_t n = s->len - done < HASH_PIECE ? s->len - done : HASH_PIECE;
		int err = io_all(ps, ps->hash_buf, n, ps->start + s->at + done);
		if (err)
			return err;
		XXH3_64bits_update(ps->hash, ps->hash_buf, n);
		done += n;
	}
	return 0;
}

/* Pieces become READY in file order, so that the section checksum is taken in
 * order (compressed: each block is checked by its consumer instead) and a
 * consumer that needs the data in order (chain.c) gets it so.  One reader at a
 * time hashes; the lock is not held while it does. */
static void promote_in_order(struct pagestream *ps)
{
	struct slot *s;
	while (!ps->promoting && (s = slot_with_seq(ps, READ, ps->ready_seq))) {
		ps->promoting = 1;
		pthread_mutex_unlock(&ps->lock);
		int err = 0;
		if (ps->compress)
			;               /* each block is checked by its consumer (unpack_block) */
		else if (ps->map)
			err = hash_piece(ps, s);
		else
			XXH3_64bits_update(ps->hash, s->buf, s->len);
		pthread_mutex_lock(&ps->lock);
		ps->promoting = 0;
		if (err) {
			fail_reading(ps, err, "read");
			return;
		}
		s->state = READY;
		ps->ready_seq++;
		cryo_progress_add(s->len);
		pthread_cond_broadcast(&ps->changed);
	}
}

static void *read_loop(void *arg)
{
	struct pagestream *ps = arg;
	pthread_mutex_lock(&ps->lock);
	while (!all_claimed(ps) && !ps->stop && !ps->failed) {
		struct slot *s;
		while (!(s = slot_in_state(ps, EMPTY)) && !ps->stop && !ps->failed)
			pthread_cond_wait(&ps->changed, &ps->lock);
		if (!s || all_claimed(ps))
			break;
		uint64_t off;
		size_t n;
		claim_next(ps, s, &off, &n);
		pthread_mutex_unlock(&ps->lock);
		char *into = ps->compress ? s->stored : s->buf;
		int err = ps->map ? cryo_populate_read(into, n) : io_all(ps, into, n, off);
		if (!err && !ps->map)
			cryo_drop_cached(ps->fd, off, n);   /* in its slot now */
		pthread_mutex_lock(&ps->lock);
		if (err) {
			fail_reading(ps, err, ps->map ? "madvise(MADV_POPULATE_READ)" : "read");
			break;
		}
		s->state = READ;
		promote_in_order(ps);
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

static int start_readers(struct pagestream *ps, struct cryo_error *e)
{
	int most = ps->map ? MAPPED_READERS : NR_READERS;
	int n = ps->nr_slots < most ? ps->nr_slots : most;
	for (int i = 0; i < n; i++) {
		if (start_thread(ps, &ps->workers[i], read_loop, "page reader", e))
			return -1;
		ps->nr_workers++;
	}
	return 0;
}

/* As many slots as the section has pieces, up to the readers' and consumers' share. */
static int read_slots(const struct cryo_section_entry *pages, int compress)
{
	uint64_t pieces = pages->length / PAGESTREAM_CHUNK + 1;
	int most = compress ? ZSTD_SLOTS : READ_SLOTS;
	return pieces < (uint64_t)most ? (int)pieces : most;
}

/* Page data that is in the page cache: mapped, read-only, for the slots to point into.
 * Plain, the section checksum still covers every byte the consumers get: it is taken from
 * the mapping, in order, before a piece is handed out, and checked before any process runs;
 * compressed, each block is checked by its consumer (only where reads are guarded). */
static void map_if_cached(struct pagestream *ps, int fd, const struct cryo_section_entry *pages)
{
	struct cryo_file_map m;
	if (ps->compress && !cryo_mapped_reads_guarded())
		return;
	if (!cryo_map_if_cached(fd, pages->offset, pages->length, &m))
		return;
	char *hash_buf = NULL;
	if (!ps->compress && !cryo_mapped_reads_guarded() && !(hash_buf = map_read_buffer(HASH_PIECE))) {
		munmap(m.base, m.len);
		return;
	}
	ps->hash_buf = hash_buf;
	ps->map = m.base;
	ps->map_len = m.len;
	ps->map_off = m.off;
}

int ps_read_begin(struct pagestream **out, struct image_reader *r, const struct cryo_section_entry *pages,
		  struct cryo_error *e)
{
	int compress = !!(pages->flags & CRYO_PAGES_BLOCKS);
	struct pagestream *ps = ps_new(0, compress, read_slots(pages, compress), e);
	uint64_t length;
	if (!ps || ps->failed)
		goto fail;
	map_if_cached(ps, r->fd, pages);
	if (alloc_slots(ps, e))
		goto fail;
	if (ps_page_data_length(r, pages, &length, &ps->blocks, &ps->nr_blocks, e))
		goto fail;
	cryo_progress_expect(length);
	ps->path = r->path;
	ps->start = ps->offset = pages->offset;
	ps->end = pages->offset + pages->length;
	ps->expected = pages->checksum;
	/* buffered: a context file still in the page cache is read at memory speed (mapped, above),
	 * and a cold one gets the kernel's readahead on top of the readers' own reads in flight
	 * (O_DIRECT reads measured no faster here), its pages dropped once read (cryo_drop_cached) */
	ps->fd = r->fd;
	if (start_readers(ps, e))
		goto fail;
	*out = ps;
	return 0;
fail:
	ps_free(ps);
	return -1;
}

static int corrupt_block(struct pagestream *ps, const struct slot *s, const char *what)
{
	pthread_mutex_lock(&ps->lock);
	if (!ps->failed)
		cryo_fail(&ps->err, 0, RES, "", 0, "context file %s is corrupt: compressed page block %llu %s",
			  ps->path, (unsigned long long)s->seq, what);
	ps->failed = 1;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
	return -1;
}

/* What checking and decoding a compressed block found (the part of unpack_block that
 * reads the block's file bytes: under the SIGBUS guard when they are mapped). */
struct unpacking {
	struct slot *s;
	const char *data;           /* the page data: the stored bytes (raw) or buf */
	const char *bad;            /* or why the block is corrupt */
};

static void check_and_decode(void *arg, const void *p, size_t n)
{
	struct unpacking *u = arg;
	struct slot *s = u->s;
	(void)p, (void)n;           /* s->stored, its padded length */
	if (XXH3_64bits(s->stored, s->blk.stored_len) != s->blk.checksum) {
		u->bad = "fails its checksum";
		return;
	}
	for (size_t i = s->blk.stored_len; i < align_up(s->blk.stored_len); i++)
		if (s->stored[i]) {     /* no section checksum covers the padding: it must be zeros */
			u->bad = "has a padding that is not zeros";
			return;
		}
	if (s->blk.encoding == CRYO_BLOCK_RAW) {
		u->data = s->stored;
		return;
	}
	/* shuffled: decompressed into unpack, then unshuffled into buf */
	int shuffled = s->blk.encoding == CRYO_BLOCK_ZSTD_SHUFFLE8;
	char *into = shuffled ? s->unpack : s->buf;
	size_t got = ZSTD_decompressDCtx(s->dctx, into, PAGESTREAM_CHUNK, s->stored, s->blk.stored_len);
	if (ZSTD_isError(got) || got != s->blk.raw_len) {
		u->bad = "does not decompress to its size";
		return;
	}
	if (shuffled)
		unshuffle8(s->buf, into, got);
	u->data = s->buf;
}

/* A compressed file's block, checked then decompressed by the consumer that took it. */
static int unpack_block(struct pagestream *ps, struct slot *s, const char **data)
{
	struct unpacking u = { .s = s };
	size_t n = align_up(s->blk.stored_len);
	if (!ps->map) {
		check_and_decode(&u, s->stored, n);
	} else {
		fault_shrink_before(ps, s);
		int err = cryo_guarded_read(s->stored, n, check_and_decode, &u);
		if (err) {
			pthread_mutex_lock(&ps->lock);
			fail_reading(ps, err, "read");
			pthread_mutex_unlock(&ps->lock);
			return -1;
		}
	}
	if (u.bad)
		return corrupt_block(ps, s, u.bad);
	*data = u.data;
	return 0;
}

int ps_read_explain_copy_failure(struct pagestream *ps, struct cryo_error *e)
{
	uint64_t size;
	if (!ps->map || !source_shrank(ps, &size))
		return 0;
	char copy[sizeof(e->syscall)];      /* the copy's own call: process_vm_writev or UFFDIO_COPY */
	snprintf(copy, sizeof(copy), "%s", e->syscall);
	cryo_fail(e, ps->pid, RES, copy, EFAULT, "context file %s shrank to %llu bytes while it was read",
		  ps->path, (unsigned long long)size);
	return 1;
}

int ps_read_is_mapped(const struct pagestream *ps)
{
	return ps->map != NULL;
}

const char *ps_read_hash_path(const struct pagestream *ps)
{
	return !ps->map ? "from the buffers" : ps->hash_buf ? "by pread" : "from the mapping, guarded";
}

int ps_read_take(struct pagestream *ps, struct ps_chunk *chunk, struct cryo_error *e)
{
	struct slot *s = NULL;
	pthread_mutex_lock(&ps->lock);
	while (!ps->failed && !(s = slot_in_state(ps, READY)) && !done_reading(ps))
		pthread_cond_wait(&ps->changed, &ps->lock);
	int failed = ps->failed;
	chunk->len = 0;
	if (!failed && s)
		s->state = TAKEN;
	pthread_mutex_unlock(&ps->lock);
	if (failed)
		return failed_copy(ps, e);
	if (!s)
		return 0;
	chunk->slot = (int)(s - ps->slots);
	chunk->data = s->buf;
	chunk->at = s->at;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ps->compress && unpack_block(ps, s, &chunk->data))
		return failed_copy(ps, e);
	if (ps->compress) {
		double ms = ms_since(&t0);
		pthread_mutex_lock(&ps->lock);
		ps->unpack_ms += ms;
		pthread_mutex_unlock(&ps->lock);
	}
	chunk->len = s->len;
	return 0;
}

void ps_read_release(struct pagestream *ps, const struct ps_chunk *chunk)
{
	pthread_mutex_lock(&ps->lock);
	ps->slots[chunk->slot].state = EMPTY;
	pthread_cond_broadcast(&ps->changed);
	pthread_mutex_unlock(&ps->lock);
}

int ps_read_end(struct pagestream *ps, struct cryo_error *e)
{
	int rc = 0;
	ps_stop_threads(ps);
	print_timing(ps);
	if (ps->failed)
		rc = failed_copy(ps, e);
	else if (ps->offset != ps->end || (!ps->compress && XXH3_64bits_digest(ps->hash) != ps->expected))
		rc = cryo_fail(e, 0, RES, "", 0, "context file %s is corrupt: page data checksum mismatch", ps->path);
	ps_free(ps);
	return rc;
}

/* ---- the option ---- */

int cryo_parse_compress(const char *value, struct cryo_checkpoint_opts *o, struct cryo_error *e)
{
	if (value && !strcmp(value, "none")) {
		o->compress = 0;
		return 0;
	}
	long level = PAGESTREAM_ZSTD_LEVEL;
	if (value && *value && strcmp(value, "zstd")) {
		char *end;
		if (strncmp(value, "zstd:", 5))
			return cryo_fail(e, 0, "option", "", EINVAL, "unknown compression '%s' (zstd or zstd:LEVEL)", value);
		level = strtol(value + 5, &end, 10);
		if (!value[5] || *end || level < PAGESTREAM_ZSTD_FASTEST || level > 19 || level == 0)
			return cryo_fail(e, 0, "option", "", EINVAL,
					 "invalid zstd level '%s' (%d to -1 or 1 to 19)", value + 5, PAGESTREAM_ZSTD_FASTEST);
	}
	o->compress = 1;
	o->compress_level = (int)level;
	return 0;
}

/* ---- verifying ---- */

int ps_verify_blocks(struct image_reader *r, const struct cryo_section_entry *pages, struct cryo_error *e)
{
	struct pagestream *ps;
	struct ps_chunk c;
	if (!(pages->flags & CRYO_PAGES_BLOCKS))
		return 0;               /* plain page data: its section checksum says it all */
	if (ps_read_begin(&ps, r, pages, e))
		return -1;
	int rc = 0;
	while (!(rc = ps_read_take(ps, &c, e)) && c.len)
		ps_read_release(ps, &c);
	if (rc) {
		struct cryo_error later;
		ps_read_end(ps, &later);
		return -1;
	}
	return ps_read_end(ps, e);
}
