#include "rexec.h"
#include "error.h"
#include "memory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void rexec_self(struct rexec *x)
{
	x->pid = getpid();
	x->in = NULL;
	x->scratch = 0;
	x->own = x->own_buf;
}

void rexec_injected(struct rexec *x, struct injector *in, uint64_t scratch)
{
	x->pid = in->pid;
	x->in = in;
	x->scratch = scratch;
	x->own = NULL;
}

int rexec_syscall(struct rexec *x, long nr, long a1, long a2, long a3, long a4, long a5, long a6, long *ret,
		  struct cryo_error *e)
{
	if (x->in)
		return injector_syscall(x->in, nr, a1, a2, a3, a4, a5, a6, ret, e);
	long r = syscall(nr, a1, a2, a3, a4, a5, a6);
	*ret = r == -1 ? -errno : r;
	return 0;
}

int rexec_call(struct rexec *x, const char *resource, const char *what, long nr, long a1, long a2, long a3, long a4,
	       long a5, long a6, long *ret, struct cryo_error *e, const char *fmt, ...)
{
	long r;
	if (rexec_syscall(x, nr, a1, a2, a3, a4, a5, a6, &r, e))
		return -1;
	/* the kernel's error range: an address from mmap can look negative */
	if (r < 0 && r > -4096) {
		char doing[400];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(doing, sizeof(doing), fmt, ap);
		va_end(ap);
		return cryo_fail(e, x->pid, resource, what, (int)-r, "process %d: %s", x->pid, doing);
	}
	if (ret)
		*ret = r;
	return 0;
}

static int check_room(struct rexec *x, size_t off, size_t len, struct cryo_error *e)
{
	if (off > REXEC_SCRATCH_SIZE || len > REXEC_SCRATCH_SIZE - off)
		return cryo_fail(e, x->pid, "memory", "", E2BIG, "%zu bytes of syscall arguments do not fit the %d bytes of scratch memory",
				 off + len, REXEC_SCRATCH_SIZE);
	return 0;
}

int rexec_out(struct rexec *x, size_t off, size_t len, uint64_t *addr, struct cryo_error *e)
{
	if (check_room(x, off, len, e))
		return -1;
	*addr = x->in ? x->scratch + off : (uint64_t)(uintptr_t)(x->own + off);
	return 0;
}

int rexec_put(struct rexec *x, size_t off, const void *data, size_t len, uint64_t *addr, struct cryo_error *e)
{
	if (rexec_out(x, off, len, addr, e))
		return -1;
	if (x->in)
		return memory_poke(x->pid, *addr, data, len, e);
	memcpy(x->own + off, data, len);
	return 0;
}

int rexec_put_string(struct rexec *x, size_t off, const char *str, uint64_t *addr, struct cryo_error *e)
{
	size_t len = strlen(str) + 1;
	if (off > REXEC_SCRATCH_SIZE || len > REXEC_SCRATCH_SIZE - off)
		return cryo_fail(e, x->pid, "files", "", ENAMETOOLONG, "path too long: %s", str);
	return rexec_put(x, off, str, len, addr, e);
}

int rexec_get(struct rexec *x, size_t off, void *data, size_t len, struct cryo_error *e)
{
	uint64_t addr;
	if (rexec_out(x, off, len, &addr, e))
		return -1;
	if (x->in)
		return memory_peek(x->pid, addr, data, len, e);
	memcpy(data, x->own + off, len);
	return 0;
}
