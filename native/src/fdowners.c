#include "fdowners.h"
#include "error.h"
#include "memory.h"
#include "pathfds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define LEASE_NONE 0
#define LEASE_READ 1
#define LEASE_WRITE 2

/* What fcntl can ask about: the open file's own descriptor (not a dup, not
 * one inherited from the parent, whose record speaks for it), not O_PATH. */
static int asks_about(const struct fd_rec *f)
{
	return f->r.dup_of < 0 && f->r.kind != CRYO_FD_PARENT && f->r.kind != CRYO_FD_OPATH && !(f->r.open_flags & O_PATH);
}

static int fcntl_in(struct injector *in, int fd, int cmd, long arg, long *ret, struct cryo_error *e)
{
	return injector_call(in, "files", "fcntl", "read the owner of a descriptor of", SYS_fcntl, fd, cmd, arg, 0, 0, 0, ret, e);
}

static int capture_one(struct injector *in, uint64_t scratch, struct fd_rec *f, struct cryo_error *e)
{
	struct f_owner_ex owner = { 0, 0 };
	long sig, lease = F_UNLCK;
	if (fcntl_in(in, f->r.fd, F_GETOWN_EX, (long)scratch, NULL, e) ||
	    memory_peek(in->pid, scratch, &owner, sizeof(owner), e) ||
	    fcntl_in(in, f->r.fd, F_GETSIG, 0, &sig, e) ||
	    (f->r.kind == CRYO_FD_REGULAR && fcntl_in(in, f->r.fd, F_GETLEASE, 0, &lease, e)))
		return -1;
	f->owner = (struct cryo_fd_owner){ .size = sizeof(f->owner), .owner_type = owner.type, .owner_pid = owner.pid,
					   .owner_thread = -1, .signal = (int32_t)sig,
					   .lease = lease == F_RDLCK ? LEASE_READ : lease == F_WRLCK ? LEASE_WRITE : LEASE_NONE };
	return 0;
}

int fdowners_capture(struct injector *in, struct snapshot *s, struct cryo_error *e)
{
	uint64_t scratch;
	struct cryo_error no_room;
	long page = 0;
	int rc = 0;
	if (!s->nr_fds)
		return 0;
	/* below the red zone, else a page of its own for as long as these calls last */
	if (injector_scratch_begin(in, &scratch, &no_room)) {
		if (injector_call(in, "files", "mmap", "map a scratch page in process", SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &page, e))
			return -1;
		scratch = (uint64_t)page;
	}
	for (int i = 0; i < s->nr_fds && !rc; i++)
		if (asks_about(&s->fds[i]))
			rc = capture_one(in, scratch, &s->fds[i], e);
	struct cryo_error ignored;
	if (page ? injector_call(in, "files", "munmap", "unmap a scratch page in process", SYS_munmap, page, 4096, 0, 0, 0, 0,
				 NULL, rc ? &ignored : e)
		 : injector_scratch_end(in, rc ? &ignored : e))
		rc = -1;
	return rc;
}

/* The process of t that the tree's processes know as pid (their PID namespace's view), or NULL. */
static const struct snapshot *process_seen_as(const struct tree *t, pid_t pid)
{
	for (int k = 0; k < t->nr; k++) {
		const struct cryo_process *p = &t->procs[k].proc;
		if ((p->ns_depth ? p->ns_pid : p->pid) == pid)
			return &t->procs[k];
	}
	return NULL;
}

static int thread_seen_as(const struct tree *t, pid_t tid, const struct snapshot **owner)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_threads; i++) {
			const struct cryo_thread *r = &t->procs[k].threads[i].r;
			if ((t->procs[k].proc.ns_depth ? r->ns_tid : r->tid) == tid) {
				*owner = &t->procs[k];
				return i;
			}
		}
	return -1;
}

int fdowners_link(const struct tree *t, const struct snapshot *s, struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_owner *o = &f->owner;
	const struct snapshot *owner = NULL;
	if (!o->owner_pid)
		return 0;
	if (o->owner_type == F_OWNER_TID)
		o->owner_thread = thread_seen_as(t, o->owner_pid, &owner);
	else
		owner = process_seen_as(t, o->owner_pid);
	/* the root comes back in cr_restart's process group: a group it led is not there */
	if (owner && o->owner_type == F_OWNER_PGRP && (owner->proc.pgid != owner->proc.pid || tree_is_root(t, owner)))
		owner = NULL;
	if (!owner)
		return cryo_fail(e, s->proc.pid, "files", "", ENOTSUP,
				 "fd %d of process %d signals %s %d, outside the checkpoint (F_SETOWN): not supported",
				 f->r.fd, s->proc.pid, o->owner_type == F_OWNER_TID ? "thread" : o->owner_type == F_OWNER_PGRP
				 ? "process group" : "process", o->owner_pid);
	o->owner_pid = owner->proc.pid;
	return 0;
}

int fdowners_valid(const struct fd_rec *f)
{
	const struct cryo_fd_owner *o = &f->owner;
	return o->owner_type >= F_OWNER_TID && o->owner_type <= F_OWNER_PGRP && o->owner_pid >= 0 &&
	       (o->owner_type == F_OWNER_TID ? o->owner_thread >= 0 || !o->owner_pid : 1) &&
	       o->signal >= 0 && o->signal <= CRYO_NSIG && o->lease <= LEASE_WRITE;
}

int fdowners_wanted(const struct fd_rec *f)
{
	return asks_about(f) && (f->owner.owner_pid || f->owner.signal || f->owner.lease || f->r.open_flags & O_ASYNC);
}

static int fcntl_set(struct injector *in, int fd, int cmd, long arg, long *ret, struct cryo_error *e)
{
	return injector_call(in, "files", "fcntl", "restore the owner of a descriptor of", SYS_fcntl, fd, cmd, arg, 0, 0, 0, ret, e);
}

/* The owner as the tree sees it now, or 0. */
static pid_t owner_now(const struct tree *t, const struct cryo_fd_owner *o, const struct pid_now *now,
		       pid_t *const *tids)
{
	const struct snapshot *owner = tree_find(t, o->owner_pid);
	if (!owner)
		return 0;
	int k = (int)(owner - t->procs);
	if (o->owner_type != F_OWNER_TID)
		return now[k].in_tree;
	return o->owner_thread < owner->nr_threads && tids[k] ? tids[k][o->owner_thread] : 0;
}

static int restore_one(struct injector *in, uint64_t scratch, const struct snapshot *s, const struct fd_rec *f,
		       const struct tree *t, const struct pid_now *now, pid_t *const *tids, struct cryo_error *e)
{
	const struct cryo_fd_owner *o = &f->owner;
	long flags;
	if (o->owner_pid) {
		struct f_owner_ex owner = { o->owner_type, owner_now(t, o, now, tids) };
		if (!owner.pid)
			return cryo_fail(e, in->pid, "files", "", ESRCH, "fd %d of process %d: its owner %d is not in the tree",
					 f->r.fd, s->proc.pid, o->owner_pid);
		if (memory_poke(in->pid, scratch, &owner, sizeof(owner), e) ||
		    fcntl_set(in, f->r.fd, F_SETOWN_EX, (long)scratch, NULL, e))
			return -1;
	}
	if ((o->signal && fcntl_set(in, f->r.fd, F_SETSIG, o->signal, NULL, e)) ||
	    (o->lease && fcntl_set(in, f->r.fd, F_SETLEASE, o->lease == LEASE_WRITE ? F_WRLCK : F_RDLCK, NULL, e)))
		return -1;
	/* open() ignores O_ASYNC: it is set now, its owner in place */
	if (f->r.open_flags & O_ASYNC &&
	    (fcntl_set(in, f->r.fd, F_GETFL, 0, &flags, e) || fcntl_set(in, f->r.fd, F_SETFL, flags | O_ASYNC, NULL, e)))
		return -1;
	return 0;
}

int fdowners_restore(struct injector *in, uint64_t scratch, const struct snapshot *s, const struct tree *t,
		     const struct pid_now *now, pid_t *const *tids, struct cryo_error *e)
{
	for (int i = 0; i < s->nr_fds; i++)
		if (fdowners_wanted(&s->fds[i]) && restore_one(in, scratch, s, &s->fds[i], t, now, tids, e))
			return -1;
	return 0;
}
