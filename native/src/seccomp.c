#include "seccomp.h"
#include "resources.h"
#include "error.h"
#include "inject.h"
#include "memory.h"
#include "proc.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif
#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif
#define MAX_FILTERS 512                 /* the kernel's limit is on instructions in all: MAX_INSNS_PER_PATH */
#define MAX_INSNS BPF_MAXINSNS

struct seccomp_metadata_arg {           /* struct seccomp_metadata */
	uint64_t filter_off;
	uint64_t flags;
};

static int filter_mode(pid_t pid, pid_t tid)
{
	char name[64], *buf;
	struct cryo_error ignored;
	snprintf(name, sizeof(name), "task/%d/status", tid);
	if (proc_read(pid, name, &buf, NULL, &ignored))
		return 0;
	char *at = strstr(buf, "\nSeccomp:");
	int mode = at ? atoi(at + 9) : 0;
	free(buf);
	return mode == SECCOMP_MODE_FILTER;
}

int seccomp_suspend(pid_t pid, const pid_t *tids, int nr, struct cryo_error *e)
{
	for (int i = 0; i < nr; i++)
		if (filter_mode(pid, tids[i]) &&
		    ptrace(PTRACE_SETOPTIONS, tids[i], 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP) < 0)
			return cryo_fail_errno(e, pid, "seccomp", "ptrace(PTRACE_O_SUSPEND_SECCOMP)",
					       "cannot suspend the seccomp filter of thread %d of process %d (needs root)", tids[i], pid);
	return 0;
}

struct buf {
	char *data;
	size_t len;
};

static int put(struct buf *b, const void *p, size_t n)
{
	char *grown = realloc(b->data, b->len + n);
	if (!grown)
		return -1;
	memcpy(grown + b->len, p, n);
	b->data = grown;
	b->len += n;
	return 0;
}

/* Filter index of thread tid (0: the newest) into b as a struct cryo_seccomp_filter and its code. */
static int capture_filter(pid_t pid, pid_t tid, long index, long n, struct buf *b, struct cryo_error *e)
{
	struct sock_filter *code = calloc((size_t)n, sizeof(*code));
	struct seccomp_metadata_arg meta = { .filter_off = (uint64_t)index };
	if (!code)
		return cryo_fail(e, pid, "seccomp", "malloc", ENOMEM, "out of memory");
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, code) != n ||
	    ptrace(PTRACE_SECCOMP_GET_METADATA, tid, sizeof(meta), &meta) < 0) {
		free(code);
		return cryo_fail_errno(e, pid, "seccomp", "ptrace(PTRACE_SECCOMP_GET_FILTER)",
				       "cannot read seccomp filter %ld of thread %d of process %d", index, tid, pid);
	}
	struct cryo_seccomp_filter f = { .flags = (uint32_t)(meta.flags & SECCOMP_FILTER_FLAG_LOG), .nr_insns = (uint32_t)n };
	int rc = put(b, &f, sizeof(f)) || put(b, code, (size_t)n * sizeof(*code)) ? -1 : 0;
	free(code);
	return rc ? cryo_fail(e, pid, "seccomp", "malloc", ENOMEM, "out of memory") : 0;
}

/* Thread i's chain, oldest first, as one record in b. */
static int capture_thread(pid_t pid, pid_t tid, int i, struct buf *b, struct cryo_error *e)
{
	long counts[MAX_FILTERS];
	int nr = 0;
	for (long n; nr < MAX_FILTERS && (n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (long)nr, NULL)) > 0; nr++)
		counts[nr] = n;
	if (nr == 0 || nr == MAX_FILTERS)
		return cryo_fail_errno(e, pid, "seccomp", "ptrace(PTRACE_SECCOMP_GET_FILTER)",
				       "cannot read the seccomp filters of thread %d of process %d (needs root)", tid, pid);
	size_t at = b->len;
	struct cryo_seccomp_thread t = { .thread = (uint32_t)i, .nr_filters = (uint32_t)nr };
	if (put(b, &t, sizeof(t)))
		return cryo_fail(e, pid, "seccomp", "malloc", ENOMEM, "out of memory");
	for (int k = nr - 1; k >= 0; k--)
		if (capture_filter(pid, tid, k, counts[k], b, e))
			return -1;
	uint32_t size = (uint32_t)(b->len - at);    /* a multiple of 8: the parts are */
	memcpy(b->data + at, &size, sizeof(size));
	return 0;
}

int seccomp_capture(pid_t pid, const pid_t *tids, int nr, struct snapshot *s, struct cryo_error *e)
{
	struct buf b = { NULL, 0 };
	for (int i = 0; i < nr; i++)
		if (filter_mode(pid, tids[i]) && capture_thread(pid, tids[i], i, &b, e)) {
			free(b.data);
			return -1;
		}
	s->seccomp = b.data;
	s->seccomp_len = b.len;
	return 0;
}

/* Each record: a thread of s, once; filters of 1 to BPF_MAXINSNS instructions, known flags, filling it exactly. */
int seccomp_check_records(const char *p, size_t len, const struct snapshot *s)
{
	const char *end = p + len;
	uint64_t seen = 0;
	while (p < end) {
		struct cryo_seccomp_thread t;
		if ((size_t)(end - p) < sizeof(t))
			return -1;
		memcpy(&t, p, sizeof(t));
		if (t.record_size < sizeof(t) || t.record_size % 8 || t.record_size > (size_t)(end - p) ||
		    t.thread >= (uint32_t)s->nr_threads || !t.nr_filters || t.nr_filters > MAX_FILTERS ||
		    (t.thread < 64 && seen & (1ULL << t.thread)))
			return -1;
		if (t.thread < 64)
			seen |= 1ULL << t.thread;
		const char *q = p + sizeof(t), *rec_end = p + t.record_size;
		for (uint32_t i = 0; i < t.nr_filters; i++) {
			struct cryo_seccomp_filter f;
			if ((size_t)(rec_end - q) < sizeof(f))
				return -1;
			memcpy(&f, q, sizeof(f));
			q += sizeof(f);
			if (!f.nr_insns || f.nr_insns > MAX_INSNS || f.flags & ~(uint32_t)SECCOMP_FILTER_FLAG_LOG ||
			    (size_t)(rec_end - q) < (size_t)f.nr_insns * sizeof(struct sock_filter))
				return -1;
			q += (size_t)f.nr_insns * sizeof(struct sock_filter);
		}
		if (q != rec_end)
			return -1;
		p = rec_end;
	}
	return 0;
}

static int install(struct injector *in, uint64_t scratch, const struct cryo_seccomp_filter *f, const void *code,
		   struct cryo_error *e)
{
	struct sock_fprog prog = { .len = (unsigned short)f->nr_insns, .filter = (struct sock_filter *)(uintptr_t)(scratch + 64) };
	return memory_poke(in->pid, scratch, &prog, sizeof(prog), e) ||
	       memory_poke(in->pid, scratch + 64, code, (size_t)f->nr_insns * sizeof(struct sock_filter), e) ||
	       injector_call(in, "seccomp", "seccomp(SECCOMP_SET_MODE_FILTER)", "install a seccomp filter in thread", SYS_seccomp,
			     SECCOMP_SET_MODE_FILTER, f->flags, (long)scratch, 0, 0, 0, NULL, e) ? -1 : 0;
}

/* The filters of one record, in its thread, through an injector and a scratch mapping of their own. */
static int restore_thread(pid_t tid, const char *rec, long options, struct cryo_error *e)
{
	struct cryo_seccomp_thread t;
	struct injector in;
	long scratch;
	size_t size = 64 + MAX_INSNS * sizeof(struct sock_filter);
	memcpy(&t, rec, sizeof(t));
	if (ptrace(PTRACE_SETOPTIONS, tid, 0, options | PTRACE_O_SUSPEND_SECCOMP) < 0)
		return cryo_fail_errno(e, tid, "seccomp", "ptrace(PTRACE_O_SUSPEND_SECCOMP)",
				       "cannot restore the seccomp filters of thread %d (needs root)", tid);
	if (injector_prepare(&in, tid, 0, e) ||
	    injector_call(&in, "seccomp", "mmap", "map a scratch page in thread", SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &scratch, e))
		return -1;
	const char *q = rec + sizeof(t);
	for (uint32_t i = 0; i < t.nr_filters; i++) {
		struct cryo_seccomp_filter f;
		memcpy(&f, q, sizeof(f));
		if (install(&in, (uint64_t)scratch, &f, q + sizeof(f), e))
			return -1;
		q += sizeof(f) + (size_t)f.nr_insns * sizeof(struct sock_filter);
	}
	/* the filters do not act while traced this way: this call is not theirs to refuse */
	return injector_call(&in, "seccomp", "munmap", "unmap a scratch page in thread", SYS_munmap, scratch, (long)size, 0, 0,
			     0, 0, NULL, e);
}

int seccomp_restore(const pid_t *tids, int nr, const struct snapshot *s, long options, struct cryo_error *e)
{
	for (size_t at = 0; at < s->seccomp_len;) {
		struct cryo_seccomp_thread t;
		memcpy(&t, s->seccomp + at, sizeof(t));
		if ((int)t.thread >= nr)
			return cryo_fail(e, 0, "seccomp", "", EINVAL, "process %d has no thread %u", s->proc.pid, t.thread);
		if (restore_thread(tids[t.thread], s->seccomp + at, options, e))
			return -1;
		at += t.record_size;
	}
	return 0;
}

const struct process_section_ops seccomp_section = {
	.section = CRYO_SEC_SECCOMP, .name = "seccomp filters", .write = snapshot_write_seccomp, .read = snapshot_read_seccomp,
};
