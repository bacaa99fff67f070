/* uffdfill.h: a restored process's fresh anonymous mappings written by UFFDIO_COPY. */
#include "uffdfill.h"
#include "memory.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#define RES  "memory"
#define PAGE CRYO_PAGE_SIZE

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

int uffd_take(struct injector *in, int flags, int *fd, struct cryo_error *e)
{
	long tfd, ignored;
	if (injector_call(in, RES, "userfaultfd", "make a userfaultfd in process", SYS_userfaultfd, flags, 0, 0, 0, 0, 0,
			  &tfd, e))
		return -1;
	struct cryo_error why;
	int ours = proc_dup_fd(in->pid, (int)tfd, &why);
	/* the process must not keep it, whatever happens next */
	if (injector_syscall(in, SYS_close, tfd, 0, 0, 0, 0, 0, &ignored, e)) {
		if (ours >= 0)
			close(ours);
		return -1;
	}
	if (ours < 0)
		return cryo_fail(e, in->pid, RES, why.syscall, why.err, "cannot take the userfaultfd of process %d", in->pid);
	*fd = ours;
	return 0;
}

int uffd_refused(const struct cryo_error *e)
{
	return !strcmp(e->syscall, "userfaultfd") || !strcmp(e->syscall, "pidfd_open") || !strcmp(e->syscall, "pidfd_getfd");
}

int uffd_fill_open(struct uffd_fill *f, struct injector *in, struct cryo_error *e)
{
	*f = (struct uffd_fill){ .fd = -1, .pid = in->pid };
	if (getenv("CRYO_NO_UFFD_FILL"))        /* the tests take the other path with it */
		return 0;
	struct cryo_error why;
	int fd;
	if (uffd_take(in, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, &fd, &why)) {
		if (!uffd_refused(&why)) {
			*e = why;               /* the injection failed: the process is in trouble */
			return -1;
		}
		return 0;                   /* a kernel without it, or one that forbids it: the other path */
	}
	struct uffdio_api api = { .api = UFFD_API };
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		close(fd);
		return 0;
	}
	f->fd = fd;
	return 1;
}

int uffd_fill_register(struct uffd_fill *f, uint64_t start, uint64_t end, struct cryo_error *e)
{
	if (f->nr == f->cap) {
		int cap = f->cap ? 2 * f->cap : 16;
		struct uffd_span *spans = realloc(f->spans, (size_t)cap * sizeof(*spans));
		if (!spans)
			return cryo_fail(e, f->pid, RES, "malloc", ENOMEM, "out of memory");
		f->spans = spans;
		f->cap = cap;
	}
	struct uffdio_register reg = { .range = { start, end - start }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(f->fd, UFFDIO_REGISTER, &reg) < 0)
		return cryo_fail_errno(e, f->pid, RES, "ioctl(UFFDIO_REGISTER)", "cannot register %#llx-%#llx of process %d to write its pages",
				       (unsigned long long)start, (unsigned long long)end, f->pid);
	f->spans[f->nr++] = (struct uffd_span){ start, end };
	return 0;
}

/* The first span that ends past addr (f->nr if none). */
static int span_past(const struct uffd_fill *f, uint64_t addr)
{
	int lo = 0, hi = f->nr;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (f->spans[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int copy_in(const struct uffd_fill *f, uint64_t addr, const char *data, size_t len, struct cryo_error *e)
{
	while (len) {
		/* nobody waits on a fault here: no wake-up to send */
		struct uffdio_copy cp = { .dst = addr, .src = (uintptr_t)data, .len = len, .mode = UFFDIO_COPY_MODE_DONTWAKE };
		if (ioctl(f->fd, UFFDIO_COPY, &cp) == 0)
			return 0;
		int err = errno;
		size_t done = cp.copy > 0 ? (size_t)cp.copy : 0;
		if (err == EEXIST) {
			/* a page present already (not in a fresh mapping, but then it is
			 * no missing page either, and the usual write reaches it) */
			if (memory_poke(f->pid, addr + done, data + done, PAGE, e))
				return -1;
			done += PAGE;
		} else if (err != EAGAIN || !done) {
			return cryo_fail(e, f->pid, RES, "ioctl(UFFDIO_COPY)", err, "cannot write %zu bytes at %#lx in process %d",
					 len, (unsigned long)addr, f->pid);
		}
		addr += done;
		data += done;
		len -= done;
	}
	return 0;
}

int uffd_fill_write(const struct uffd_fill *f, uint64_t addr, const void *data, size_t len, struct cryo_error *e)
{
	const char *p = data;
	while (len) {
		int i = f->fd < 0 ? f->nr : span_past(f, addr);
		size_t n = len;
		int inside = i < f->nr && f->spans[i].start <= addr;
		if (inside && f->spans[i].end - addr < n)
			n = (size_t)(f->spans[i].end - addr);
		else if (!inside && i < f->nr && f->spans[i].start - addr < n)
			n = (size_t)(f->spans[i].start - addr);
		if (inside ? copy_in(f, addr, p, n, e) : memory_poke(f->pid, addr, p, n, e))
			return -1;
		addr += n;
		p += n;
		len -= n;
	}
	return 0;
}

int uffd_fill_close(struct uffd_fill *f, struct cryo_error *e)
{
	int rc = 0;
	for (int i = 0; i < f->nr && !rc && f->fd >= 0; i++) {
		struct uffdio_range r = { f->spans[i].start, f->spans[i].end - f->spans[i].start };
		if (ioctl(f->fd, UFFDIO_UNREGISTER, &r) < 0)
			rc = cryo_fail_errno(e, f->pid, RES, "ioctl(UFFDIO_UNREGISTER)", "cannot unregister %#llx-%#llx of process %d",
					     (unsigned long long)r.start, (unsigned long long)(r.start + r.len), f->pid);
	}
	uffd_fill_abort(f);
	return rc;
}

void uffd_fill_abort(struct uffd_fill *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->spans);
	*f = (struct uffd_fill){ .fd = -1, .pid = f->pid };
}
