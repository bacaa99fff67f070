#include "pidfds.h"
#include "pathfds.h"
#include "error.h"
#include "fdtypes.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#define PIDFD_THREAD_FLAG O_EXCL    /* pidfd_open(PIDFD_THREAD): the open file's flags show it */

static int read_pidfd_pid(pid_t pid, int fd, int *target, struct cryo_error *e)
{
	char name[64], *buf;
	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	if (proc_read(pid, name, &buf, NULL, e))
		return -1;
	char *at = strstr(buf, "\nPid:");
	int ok = at && sscanf(at, "\nPid: %d", target) == 1;
	free(buf);
	if (!ok)
		return cryo_fail(e, pid, "files", "", EINVAL, "fd %d of process %d is a pidfd whose process /proc does not show",
				 fd, pid);
	return 0;
}

static int pidfds_capture(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	int target;
	if (strcmp(f->path, "anon_inode:[pidfd]"))
		return 0;
	if (read_pidfd_pid(pid, f->r.fd, &target, e))
		return -1;
	if (target <= 0)
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "fd %d of process %d is a pidfd of a process that has exited and been reaped: not supported",
				 f->r.fd, pid);
	if (f->r.open_flags & PIDFD_THREAD_FLAG)
		return cryo_fail(e, pid, "files", "", ENOTSUP, "fd %d of process %d is a pidfd of thread %d: not supported",
				 f->r.fd, pid, target);
	struct cryo_fd_pidfd d = { .pid = target };
	if (!(f->detail = malloc(sizeof(d))))
		return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	f->detail_len = sizeof(d);
	f->r.kind = CRYO_FD_PIDFD;
	return 1;
}

static pid_t pidfd_target(const struct fd_rec *f)
{
	struct cryo_fd_pidfd d = { .pid = 0 };
	if (f->detail_len >= sizeof(d))
		memcpy(&d, f->detail, sizeof(d));
	return d.pid;
}

static int pidfds_link(const struct tree *t, pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	pid_t target = pidfd_target(f);
	if (!tree_find(t, target))
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "fd %d of process %d is a pidfd of process %d, outside the checkpoint: not supported "
				 "(after a restart that PID could name another process)", f->r.fd, pid, target);
	return 0;
}

const struct pid_now *pid_now_find(const struct pid_now *now, int nr_now, pid_t pid)
{
	for (int i = 0; i < nr_now; i++)
		if (now[i].image == pid)
			return &now[i];
	return NULL;
}

static int call(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long *ret,
		struct cryo_error *e)
{
	return injector_call(in, "files", what, "restore a pidfd of process", nr, a1, a2, a3, 0, 0, 0, ret, e);
}

/* tmp (close-on-exec, as pidfd_open makes it) becomes fd f. */
static int put_at_number(struct injector *in, long tmp, const struct fd_rec *f, struct cryo_error *e)
{
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	if (tmp == f->r.fd)
		return cloexec ? 0 : call(in, "fcntl(F_SETFD)", SYS_fcntl, tmp, F_SETFD, 0, NULL, e);
	return call(in, "dup3", SYS_dup3, tmp, f->r.fd, cloexec, NULL, e) || call(in, "close", SYS_close, tmp, 0, 0, NULL, e)
		? -1 : 0;
}

int pidfds_restore(struct injector *in, const struct snapshot *s, const struct pid_now *now, int nr_now,
		   struct cryo_error *e)
{
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		long fd;
		if (f->r.kind != CRYO_FD_PIDFD)
			continue;
		if (f->r.dup_of >= 0) {     /* dups come after what they dup: fd order */
			if (call(in, "dup3", SYS_dup3, f->r.dup_of, f->r.fd, f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0, NULL, e))
				return -1;
			continue;
		}
		if (f->r.parent_fd >= 0)    /* the parent's open file: taken from it (pathfds_take_from_parent) */
			continue;
		const struct pid_now *p = pid_now_find(now, nr_now, pidfd_target(f));
		if (!p)
			return cryo_fail(e, in->pid, "files", "", ESRCH, "fd %d of process %d: pidfd of process %d, not in the tree",
					 f->r.fd, s->proc.pid, pidfd_target(f));
		if (call(in, "pidfd_open", SYS_pidfd_open, p->in_tree, f->r.open_flags & O_NONBLOCK ? PIDFD_NONBLOCK : 0, 0,
			 &fd, e) ||
		    put_at_number(in, fd, f, e))
			return -1;
	}
	return 0;
}

static int classify_pidfd(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	return pidfds_capture(pid, f, e);
}

static int link_pidfd(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	return pidfds_link(t, t->procs[k].proc.pid, f, e);
}

static int validate_pidfd(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return f->detail_len < sizeof(struct cryo_fd_pidfd) || !tree_find(t, pidfd_target(f)) ||
	       !pathfds_parent_fd_valid(t, s, f);
}

const struct fd_ops pidfd_fd_ops = {
	.kind = CRYO_FD_PIDFD, .name = "pidfd", .classify = classify_pidfd, .link_tree = link_pidfd,
	.validate = validate_pidfd, .needs_memory = 1, .after_tree = 1,
};
