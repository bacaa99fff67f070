#include "locks.h"
#include "error.h"
#include "memory.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>

static int parse_lock(const char *line, struct cryo_lock *l)
{
	char kind[16], mode[16], end[32];
	long long start;
	int pid;
	unsigned maj, min;
	unsigned long ino;
	if (sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%lu %lld %31s", kind, mode, &pid, &maj, &min, &ino, &start, end) != 8)
		return 0;
	if (!strcmp(kind, "FLOCK"))
		l->kind = CRYO_LOCK_FLOCK;
	else if (!strcmp(kind, "POSIX"))
		l->kind = CRYO_LOCK_POSIX;
	else if (!strcmp(kind, "OFDLCK"))
		l->kind = CRYO_LOCK_OFD;
	else if (!strcmp(kind, "LEASE") && strstr(line, " ACTIVE "))
		return 0;           /* a lease not being broken: fdowners.c (F_GETLEASE) */
	else
		return -1;          /* leases being broken, delegations */
	l->write = !strcmp(mode, "WRITE");
	l->start = start;
	l->len = strcmp(end, "EOF") ? atoll(end) - start + 1 : 0;
	return 1;
}

int locks_capture(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	char name[64], *info;
	struct cryo_lock *locks = NULL;
	size_t n = 0;
	snprintf(name, sizeof(name), "fdinfo/%d", f->r.fd);
	if (proc_read(pid, name, &info, NULL, e))
		return -1;
	for (char *at = strstr(info, "lock:"); at; at = strstr(at + 5, "lock:")) {
		struct cryo_lock l;
		int ok = parse_lock(at + 5, &l);
		if (ok < 0) {
			free(info);
			free(locks);
			return cryo_fail(e, pid, "files", "", ENOTSUP, "fd %d of process %d holds a lease being broken (or a delegation) on %s: not supported",
					 f->r.fd, pid, f->path);
		}
		if (!ok)
			continue;
		struct cryo_lock *grown = realloc(locks, (n + 1) * sizeof(*locks));
		if (!grown) {
			free(info);
			free(locks);
			return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
		}
		locks = grown;
		locks[n++] = l;
	}
	free(info);
	f->detail = (char *)locks;
	f->detail_len = (uint32_t)(n * sizeof(*locks));
	return 0;
}

/* fdinfo shows a process's POSIX locks on a file under each of its
 * descriptors for that file, and an open file's locks under each descriptor
 * that shares it: take each lock through the first one only. */
static int seen_before(const struct snapshot *s, int upto, const struct cryo_lock *l)
{
	const struct fd_rec *f = &s->fds[upto];
	for (int i = 0; i < upto; i++) {
		const struct fd_rec *g = &s->fds[i];
		if ((g->r.kind != CRYO_FD_REGULAR && g->r.kind != CRYO_FD_PARENT) ||
		    g->r.file.ino != f->r.file.ino || g->r.file.dev != f->r.file.dev)
			continue;
		for (size_t j = 0; j < g->detail_len / sizeof(struct cryo_lock); j++) {
			struct cryo_lock m;
			memcpy(&m, g->detail + j * sizeof(m), sizeof(m));
			if (!memcmp(&m, l, sizeof(m)))
				return 1;
		}
	}
	return 0;
}

static int take(struct injector *in, uint64_t scratch, const struct fd_rec *f, const struct cryo_lock *l,
		struct cryo_error *e)
{
	long r;
	if (l->kind == CRYO_LOCK_FLOCK) {
		if (injector_syscall(in, SYS_flock, f->r.fd, (l->write ? LOCK_EX : LOCK_SH) | LOCK_NB, 0, 0, 0, 0, &r, e))
			return -1;
	} else {
		struct flock fl = { .l_type = l->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
				    .l_start = l->start, .l_len = l->len };
		if (memory_poke(in->pid, scratch, &fl, sizeof(fl), e) ||
		    injector_syscall(in, SYS_fcntl, f->r.fd, l->kind == CRYO_LOCK_OFD ? F_OFD_SETLK : F_SETLK,
				     (long)scratch, 0, 0, 0, &r, e))
			return -1;
	}
	if (r < 0)
		return cryo_fail(e, in->pid, "files", l->kind == CRYO_LOCK_FLOCK ? "flock" : "fcntl", (int)-r,
				 "cannot take the lock process %d held on %s (fd %d) again: is someone else holding it?",
				 in->pid, f->path, f->r.fd);
	return 0;
}

int locks_restore_fd(struct injector *in, uint64_t scratch, const struct snapshot *s, int i, struct cryo_error *e)
{
	const struct fd_rec *f = &s->fds[i];
	for (size_t j = 0; j < f->detail_len / sizeof(struct cryo_lock); j++) {
		struct cryo_lock l;
		memcpy(&l, f->detail + j * sizeof(l), sizeof(l));
		/* an open file inherited from the parent has its flock and OFD locks from it */
		if (f->r.kind == CRYO_FD_PARENT && l.kind != CRYO_LOCK_POSIX)
			continue;
		if (!seen_before(s, i, &l) && take(in, scratch, f, &l, e))
			return -1;
	}
	return 0;
}
