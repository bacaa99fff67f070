/*
 * The protocol every feature test program follows (zdtm style):
 *
 *   tl_init(argc, argv)     line-buffered output; argv[1] is the go file
 *   ... set up the state under test ...
 *   tl_ready()              prints "READY <pid>"
 *   tl_wait_go()            polls for the go file every 10 ms
 *   ... verify the state: tl_fail("what") for each mismatch ...
 *   ... verify the process keeps working ...
 *   return tl_finish();     prints "PASS" and returns 0, or returns 1
 *
 * The harness (org.cryo.engine.CheckpointHarness) checkpoints the process
 * between READY and the go file, kills it, restarts it and then creates the
 * go file.  The waiting loop makes only access() and nanosleep() calls, so it
 * disturbs no state under test.
 */
#ifndef CRYO_TESTLIB_H
#define CRYO_TESTLIB_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *tl_go_path;
static int tl_failures;

static inline void tl_init(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s GO_FILE [ARGS...]\n", argv[0]);
		exit(2);
	}
	tl_go_path = argv[1];
}

/* A path in the go file's directory (the test's own temp dir); static buffer per call site. */
static inline const char *tl_work_path(char *buf, size_t size, const char *name)
{
	const char *slash = strrchr(tl_go_path, '/');
	int dirlen = slash ? (int)(slash - tl_go_path) : 1;
	snprintf(buf, size, "%.*s/%s", dirlen, slash ? tl_go_path : ".", name);
	return buf;
}

static inline void tl_ready(void)
{
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
}

static inline void tl_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Returns once the go file exists. */
static inline void tl_wait_go(void)
{
	for (;;) {
		if (access(tl_go_path, F_OK) == 0)
			return;
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Records one mismatch: prints "FAIL <what>". */
__attribute__((format(printf, 1, 2)))
static inline void tl_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
	tl_failures++;
}

#define TL_CHECK(cond, ...) do { if (!(cond)) tl_fail(__VA_ARGS__); } while (0)

/* Informational line, never a verdict. */
__attribute__((format(printf, 1, 2)))
static inline void tl_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static inline int tl_finish(void)
{
	if (tl_failures)
		return 1;
	puts("PASS");
	fflush(stdout);
	return 0;
}

/* Deterministic byte pattern: byte i of a buffer filled with seed s. */
static inline uint8_t tl_pattern_byte(uint64_t seed, size_t i)
{
	uint64_t x = (seed + i / 8) * 0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((i % 8) * 8));
}

static inline void tl_fill(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = tl_pattern_byte(seed, i);
}

/* Offset of the first byte that differs from the pattern, or -1. */
static inline long tl_find_mismatch(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		if (p[i] != tl_pattern_byte(seed, i))
			return (long)i;
	return -1;
}

/* Checks a buffer against its pattern; one FAIL line naming it if not. */
static inline int tl_check_pattern(const char *what, const void *buf, size_t len,
				   uint64_t seed)
{
	long off = tl_find_mismatch(buf, len, seed);
	if (off >= 0) {
		tl_fail("%s: pattern mismatch at offset %ld", what, off);
		return 0;
	}
	return 1;
}

/* FNV-1a 64 over a buffer. */
static inline uint64_t tl_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static inline uint64_t tl_now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads a whole small file (e.g. under /proc) into buf; returns its length or -1. */
static inline ssize_t tl_read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return (ssize_t)n;
}

/* The rest of the line of field (e.g. "VmFlags:") of the mapping that starts at
 * addr in /proc/self/smaps, without its newline, into out; -1: no such mapping
 * or field. */
static inline int tl_smaps_field(const void *addr, const char *field, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	size_t n = strlen(field);
	int inside = 0, rc = -1;
	while (f && rc < 0 && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			inside = s == (unsigned long)addr;
		else if (inside && !strncmp(line, field, n)) {
			size_t len = strcspn(line + n, "\n");
			len = len < size ? len : size - 1;     /* cut to fit */
			memcpy(out, line + n, len);
			out[len] = 0;
			rc = 0;
		}
	}
	if (f)
		fclose(f);
	return rc;
}

/* Reads from fd until len bytes have come (5 s at most); 1 if they are want,
 * else 0 with what came in an INFO line. */
static inline int tl_read_expect(int fd, const char *want, size_t len)
{
	char buf[64];
	size_t got = 0;
	if (len >= sizeof(buf))
		return 0;
	for (int i = 0; i < 500 && got < len; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != len || memcmp(buf, want, len)) {
		buf[got] = 0;
		tl_info("read %zu bytes: \"%s\"", got, buf);
		return 0;
	}
	return 1;
}

#endif
