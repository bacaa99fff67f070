#include "pathfds.h"
#include "error.h"
#include "fdtypes.h"
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>

static const char *const namespace_names[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };

int pathfds_is_late_kind(uint32_t kind)
{
	const struct fd_ops *ops = fd_ops_of(kind);
	return ops && ops->after_tree;
}

int pathfds_detail_valid(const struct fd_rec *f)
{
	struct cryo_fd_proc d;
	if (f->r.kind == CRYO_FD_PIDFD)
		return f->detail_len >= sizeof(struct cryo_fd_pidfd);
	if (f->r.kind != CRYO_FD_PROC)
		return 1;
	if (f->detail_len < sizeof(d))
		return 0;
	memcpy(&d, f->detail, sizeof(d));
	return d.pid > 0 && d.rest_len <= f->detail_len - sizeof(d) && d.rest_len < PATH_MAX &&
	       !memchr(f->detail + sizeof(d), 0, d.rest_len) && !strstr(f->detail + sizeof(d), "..");
}

static int set_proc_detail(struct fd_rec *f, pid_t target, const char *rest, pid_t pid, struct cryo_error *e)
{
	struct cryo_fd_proc d = { .pid = target, .rest_len = (uint32_t)strlen(rest) };
	if (!(f->detail = malloc(sizeof(d) + d.rest_len + 1)))
		return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, &d, sizeof(d));
	memcpy(f->detail + sizeof(d), rest, d.rest_len);
	f->detail[sizeof(d) + d.rest_len] = 0;
	f->detail_len = (uint32_t)sizeof(d) + d.rest_len;
	f->r.kind = CRYO_FD_PROC;
	return 1;
}

/* "/proc/123" or "/proc/123/REST": 123 and REST ("" for the directory). */
static int parse_proc_path(const char *path, pid_t *target, const char **rest)
{
	char *end;
	if (strncmp(path, "/proc/", 6) || path[6] < '1' || path[6] > '9')
		return 0;
	long n = strtol(path + 6, &end, 10);
	if ((*end != '/' && *end != 0) || n <= 0 || n > INT32_MAX)
		return 0;
	*target = (pid_t)n;
	*rest = *end ? end + 1 : end;
	return 1;
}

/* "net:[4026531840]", the link of an open namespace file: its type. */
static const char *namespace_of_link(const char *path)
{
	for (size_t i = 0; i < sizeof(namespace_names) / sizeof(namespace_names[0]); i++) {
		size_t n = strlen(namespace_names[i]);
		if (!strncmp(path, namespace_names[i], n) && !strncmp(path + n, ":[", 2) && path[strlen(path) - 1] == ']')
			return namespace_names[i];
	}
	return NULL;
}

/* A /proc file of a process (/proc/PID[/REST]) or an open namespace file. */
static int classify_proc(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	pid_t target;
	const char *rest, *ns;
	if (parse_proc_path(f->path, &target, &rest))
		return set_proc_detail(f, target, rest, pid, e);
	if ((ns = namespace_of_link(f->path))) {
		char rel[32];
		snprintf(rel, sizeof(rel), "ns/%s", ns);
		return set_proc_detail(f, 0, rel, pid, e);  /* whose: pathfds_link */
	}
	return 0;
}

static int classify_opath(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	if (!(f->r.open_flags & O_PATH))
		return 0;
	size_t len = strlen(f->path);
	if (f->path[0] != '/' || (len > 10 && !strcmp(f->path + len - 10, " (deleted)")))
		return cryo_fail(e, pid, "files", "", ENOTSUP, "fd %d of process %d is an O_PATH descriptor of %s: cannot be reopened",
				 f->r.fd, pid, f->path);
	f->r.kind = CRYO_FD_OPATH;
	return 1;
}

static void proc_detail(const struct fd_rec *f, struct cryo_fd_proc *d, const char **rest)
{
	memcpy(d, f->detail, sizeof(*d));
	*rest = f->detail + sizeof(*d);
}

/* The process of the tree in namespace file ino of type ns ("ns/net"), or 0. */
static pid_t namespace_holder(const struct tree *t, const char *ns, uint64_t ino)
{
	for (int k = 0; k < t->nr; k++) {
		char path[96];
		struct stat st;
		if (t->procs[k].proc.state == CRYO_PROCESS_ZOMBIE)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/%s", t->procs[k].proc.pid, ns);
		if (stat(path, &st) == 0 && st.st_ino == ino)
			return t->procs[k].proc.pid;
		snprintf(path, sizeof(path), "/proc/%d/%s_for_children", t->procs[k].proc.pid, ns);
		if (stat(path, &st) == 0 && st.st_ino == ino)
			return t->procs[k].proc.pid;
	}
	return 0;
}

static int pathfds_link(const struct tree *t, pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_proc d;
	const char *rest;
	if (f->r.kind != CRYO_FD_PROC)
		return 0;
	proc_detail(f, &d, &rest);
	if (!d.pid) {
		if (!(d.pid = namespace_holder(t, rest, f->r.file.ino)))
			return cryo_fail(e, pid, "files", "", ENOTSUP,
					 "fd %d of process %d is %s, a namespace no process of the checkpoint is in: not supported",
					 f->r.fd, pid, f->path);
		memcpy(f->detail, &d, sizeof(d));
		return 0;
	}
	if (!tree_find(t, d.pid))
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "fd %d of process %d is %s, a /proc file of process %d outside the checkpoint: not supported "
				 "(after a restart that PID could name another process)", f->r.fd, pid, f->path, d.pid);
	if (!strncmp(rest, "task/", 5) && atoi(rest + 5) != d.pid)
		return cryo_fail(e, pid, "files", "", ENOTSUP, "fd %d of process %d is %s, a /proc file of a thread: not supported",
				 f->r.fd, pid, f->path);
	return 0;
}

static int call(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long a4, long *ret,
		struct cryo_error *e)
{
	return injector_call(in, "files", what, "reopen a descriptor of process", nr, a1, a2, a3, a4, 0, 0, ret, e);
}

/* An O_PATH descriptor's path must still lead to the same kind of file. */
static int check_same_kind(const struct fd_rec *f, relocate_fn relocate, struct cryo_error *e)
{
	char buf[PATH_MAX];
	const char *path = relocate(f->path, buf, sizeof(buf));
	pid_t pid = 0;
	struct stat st;
	int rc = f->r.open_flags & O_NOFOLLOW ? lstat(path, &st) : stat(path, &st);
	if (rc < 0)
		return cryo_fail_errno(e, pid, "files", "stat", "fd %d: %s is gone since the checkpoint (use --relocate OLD=NEW if it moved)",
				       f->r.fd, path);
	if ((st.st_mode & S_IFMT) != (f->r.file.mode & S_IFMT))
		return cryo_fail(e, pid, "files", "", ESTALE, "fd %d: %s is no longer the same kind of file", f->r.fd, path);
	return 0;
}

static int reopen(struct injector *in, uint64_t scratch, const struct fd_rec *f, const char *path, struct cryo_error *e)
{
	size_t len = strlen(path) + 1;
	long tmp;
	int flags = (int)(f->r.open_flags & ~(uint32_t)(O_CREAT | O_TRUNC | O_EXCL)) | O_NOCTTY | O_CLOEXEC;
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	if (len > 2 * 4096)
		return cryo_fail(e, in->pid, "files", "", ENAMETOOLONG, "path too long: %s", path);
	if (memory_poke(in->pid, scratch, path, len, e) || call(in, "openat", SYS_openat, AT_FDCWD, (long)scratch, flags, 0, &tmp, e))
		return -1;
	if (!(f->r.open_flags & O_PATH) && f->r.pos && call(in, "lseek", SYS_lseek, tmp, (long)f->r.pos, SEEK_SET, 0, NULL, e))
		return -1;
	if (tmp == f->r.fd)
		return cloexec ? 0 : call(in, "fcntl(F_SETFD)", SYS_fcntl, tmp, F_SETFD, 0, 0, NULL, e);
	return call(in, "dup3", SYS_dup3, tmp, f->r.fd, cloexec, 0, NULL, e) || call(in, "close", SYS_close, tmp, 0, 0, 0, NULL, e)
		? -1 : 0;
}

int pathfds_restore(struct injector *in, uint64_t scratch, const struct snapshot *s, const struct pid_now *now,
		    int nr_now, relocate_fn relocate, struct cryo_error *e)
{
	char path[PATH_MAX + 64], buf[PATH_MAX];
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (f->r.kind != CRYO_FD_PROC && f->r.kind != CRYO_FD_OPATH)
			continue;
		if (f->r.dup_of >= 0) {
			if (call(in, "dup3", SYS_dup3, f->r.dup_of, f->r.fd, f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0, 0, NULL, e))
				return -1;
			continue;
		}
		if (f->r.parent_fd >= 0)    /* the parent's open file: taken from it */
			continue;
		if (f->r.kind == CRYO_FD_OPATH) {       /* its path checked before the restart began */
			if (reopen(in, scratch, f, relocate(f->path, buf, sizeof(buf)), e))
				return -1;
			continue;
		}
		struct cryo_fd_proc d;
		const char *rest;
		proc_detail(f, &d, &rest);
		const struct pid_now *p = pid_now_find(now, nr_now, d.pid);
		if (!p)
			return cryo_fail(e, in->pid, "files", "", ESRCH, "fd %d of process %d: /proc file of process %d, not in the tree",
					 f->r.fd, s->proc.pid, d.pid);
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "%.*s", (int)d.rest_len, rest);
		/* /proc/PID/task/PID/...: the leader's thread directory, under its PID now */
		if (!strncmp(rel, "task/", 5)) {
			const char *after = strchr(rel + 5, '/');
			snprintf(path, sizeof(path), "/proc/%d/task/%d%s", p->in_proc, p->in_proc, after ? after : "");
		} else {
			snprintf(path, sizeof(path), "/proc/%d%s%s", p->in_proc, rel[0] ? "/" : "", rel);
		}
		if (reopen(in, scratch, f, path, e))
			return -1;
	}
	return 0;
}

int pathfds_parent_fd_valid(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	if (f->r.parent_fd == -1)
		return 1;
	const struct snapshot *parent = tree_find(t, s->proc.ppid);
	if (f->r.parent_fd < 0 || f->r.dup_of >= 0 || !parent || tree_is_root(t, s))
		return 0;
	for (int i = 0; i < parent->nr_fds; i++)
		if (parent->fds[i].r.fd == f->r.parent_fd)
			return parent->fds[i].r.kind == f->r.kind;
	return 0;
}

/* One descriptor passes from the engine to the process: the process
 * connects to an abstract Unix socket the engine listens on, and receives
 * it (SCM_RIGHTS) at a number of its own (*got). */
static int send_fd(struct injector *in, uint64_t scratch, int fd, long *got, struct cryo_error *e)
{
	static unsigned serial;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "cryo-restore-%d-%u", getpid(), serial++);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), a = -1;
	long s = -1;
	if (l < 0 || bind(l, (struct sockaddr *)&addr, len) < 0 || listen(l, 1) < 0) {
		if (l >= 0)
			close(l);
		return cryo_fail_errno(e, getpid(), "files", "bind", "cannot make a socket to pass a descriptor to process %d",
				       in->pid);
	}
	/* the message: one byte, and room for one descriptor */
	const uint64_t at_addr = scratch, at_byte = scratch + 128, at_iov = scratch + 192, at_msg = scratch + 256,
		       at_control = scratch + 384;
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
	struct iovec iov = { (void *)(uintptr_t)at_byte, 1 };
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)at_iov, .msg_iovlen = 1,
			      .msg_control = (void *)(uintptr_t)at_control, .msg_controllen = sizeof(control) };
	memset(&control, 0, sizeof(control));
	int rc = memory_poke(in->pid, at_addr, &addr, sizeof(addr), e) || memory_poke(in->pid, at_iov, &iov, sizeof(iov), e) ||
		 memory_poke(in->pid, at_msg, &msg, sizeof(msg), e) ||
		 memory_poke(in->pid, at_control, &control, sizeof(control), e) ||
		 call(in, "socket", SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, &s, e) ||
		 call(in, "connect", SYS_connect, s, (long)at_addr, len, 0, NULL, e) ? -1 : 0;
	if (!rc && (a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		rc = cryo_fail_errno(e, getpid(), "files", "accept4", "cannot pass a descriptor to process %d", in->pid);
	if (!rc) {
		char byte = 'f';
		struct iovec out_iov = { &byte, 1 };
		union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } out;
		struct msghdr out_msg = { .msg_iov = &out_iov, .msg_iovlen = 1, .msg_control = out.buf, .msg_controllen = sizeof(out.buf) };
		memset(&out, 0, sizeof(out));
		struct cmsghdr *c = CMSG_FIRSTHDR(&out_msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
		if (sendmsg(a, &out_msg, 0) != 1)
			rc = cryo_fail_errno(e, getpid(), "files", "sendmsg", "cannot pass a descriptor to process %d", in->pid);
	}
	long r = 0;
	if (!rc && !(rc = call(in, "recvmsg", SYS_recvmsg, s, (long)at_msg, MSG_CMSG_CLOEXEC, 0, &r, e)) &&
	    !(rc = memory_peek(in->pid, at_control, &control, sizeof(control), e))) {
		if (r != 1 || control.h.cmsg_level != SOL_SOCKET || control.h.cmsg_type != SCM_RIGHTS)
			rc = cryo_fail(e, in->pid, "files", "recvmsg", EPROTO, "process %d did not receive the descriptor", in->pid);
		else {
			int received;
			memcpy(&received, CMSG_DATA(&control.h), sizeof(received));
			*got = received;
		}
	}
	if (s >= 0)
		call(in, "close", SYS_close, s, 0, 0, 0, NULL, rc ? &(struct cryo_error){0} : e);
	if (a >= 0)
		close(a);
	close(l);
	return rc;
}

int pathfds_take_from_parent(struct injector *in, uint64_t scratch, const struct snapshot *s, pid_t parent_now,
			     struct cryo_error *e)
{
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (!pathfds_is_late_kind(f->r.kind) || f->r.dup_of >= 0 || f->r.parent_fd < 0)
			continue;
		int pidfd = (int)syscall(SYS_pidfd_open, parent_now, 0);
		int mine = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, f->r.parent_fd, 0);
		if (pidfd >= 0)
			close(pidfd);
		if (mine < 0)
			return cryo_fail_errno(e, parent_now, "files", "pidfd_getfd", "cannot take fd %d of process %d for its child %d",
					       f->r.parent_fd, parent_now, in->pid);
		long got = -1;
		int rc = send_fd(in, scratch, mine, &got, e);
		close(mine);
		int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
		if (rc || (got == f->r.fd ? (!cloexec && call(in, "fcntl(F_SETFD)", SYS_fcntl, got, F_SETFD, 0, 0, NULL, e))
					  : call(in, "dup3", SYS_dup3, got, f->r.fd, cloexec, 0, NULL, e) ||
					    call(in, "close", SYS_close, got, 0, 0, 0, NULL, e)))
			return -1;
	}
	return 0;
}

static int link_pathfd(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	return pathfds_link(t, t->procs[k].proc.pid, f, e);
}

static int validate_proc(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	struct cryo_fd_proc d;
	if (!pathfds_detail_valid(f))
		return 1;
	memcpy(&d, f->detail, sizeof(d));
	return !tree_find(t, d.pid) || !pathfds_parent_fd_valid(t, s, f);
}

static int validate_opath(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	return !pathfds_parent_fd_valid(t, s, f);
}

const struct fd_ops proc_fd_ops = {
	.kind = CRYO_FD_PROC, .name = "/proc file", .classify = classify_proc, .link_tree = link_pathfd,
	.validate = validate_proc, .needs_memory = 1, .after_tree = 1,
};

const struct fd_ops opath_fd_ops = {
	.kind = CRYO_FD_OPATH, .name = "O_PATH", .classify = classify_opath, .check = check_same_kind, .validate = validate_opath,
	.needs_memory = 1, .after_tree = 1,
};
