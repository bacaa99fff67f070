/*
 * One way to run a restore step, wherever it runs.  A root of the tree
 * restores itself (it is still the restorer's child, before it becomes the
 * image) by plain syscalls; every other process, and every root once it is
 * traced, is restored by syscalls injected into it (inject.h).  A restore
 * step written once against struct rexec works in both: the executor runs
 * the call, passes its pointer arguments through scratch memory the target
 * can read, and reports a failure the same way in both.
 */
#ifndef CRYO_REXEC_H
#define CRYO_REXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "inject.h"

/* Bytes of argument memory: a path of PATH_MAX, or a few small structs. */
#define REXEC_SCRATCH_SIZE 4096

struct rexec {
	pid_t pid;                  /* the process the calls run in (for messages) */
	struct injector *in;        /* NULL: the calling process itself */
	uint64_t scratch;           /* injected: REXEC_SCRATCH_SIZE writable bytes in the target */
	unsigned char *own;         /* self: the same, in the caller's memory */
	unsigned char own_buf[REXEC_SCRATCH_SIZE];
};

/* The calling process itself. */
void rexec_self(struct rexec *x);
/* The traced process behind in, with scratch (at least REXEC_SCRATCH_SIZE
 * bytes, e.g. the page memory_restore maps or the parent's inherited one). */
void rexec_injected(struct rexec *x, struct injector *in, uint64_t scratch);

/* Run syscall nr in the target.  *ret gets the raw result: negative errno on
 * failure (so a caller may accept some errors). */
int rexec_syscall(struct rexec *x, long nr, long a1, long a2, long a3, long a4, long a5, long a6, long *ret,
		  struct cryo_error *e);
/* rexec_syscall for calls whose failure is an error: it names the process,
 * resource and syscall what, and says what was being done (printf-style).
 * *ret (if not NULL) gets the result on success. */
int rexec_call(struct rexec *x, const char *resource, const char *what, long nr, long a1, long a2, long a3, long a4,
	       long a5, long a6, long *ret, struct cryo_error *e, const char *fmt, ...)
	__attribute__((format(printf, 13, 14)));

/* Copy len bytes to offset off of the scratch memory; *addr gets the address
 * to pass to a syscall in the target. */
int rexec_put(struct rexec *x, size_t off, const void *data, size_t len, uint64_t *addr, struct cryo_error *e);
/* A string (with its NUL) at offset off; longer than the room left is an error naming it. */
int rexec_put_string(struct rexec *x, size_t off, const char *str, uint64_t *addr, struct cryo_error *e);
/* The address of offset off, for a syscall to write len bytes to, and the bytes written there. */
int rexec_out(struct rexec *x, size_t off, size_t len, uint64_t *addr, struct cryo_error *e);
int rexec_get(struct rexec *x, size_t off, void *data, size_t len, struct cryo_error *e);

#endif
