/* The table of descriptor kinds (fdtypes.h). */
#include "fdtypes.h"
#include "error.h"

#include <fcntl.h>
#include <sys/syscall.h>

/* In the order classify tries them: event descriptors are known by their
 * link, before anything by file type; a memfd or deleted file is saved by
 * content before a file by reference. */
static const struct fd_ops *const fd_kinds[] = {
	&pidfd_fd_ops, &proc_fd_ops, &opath_fd_ops,     /* before files by path: /proc files and O_PATH ones are files too */
	&eventfd_fd_ops, &timerfd_fd_ops, &signalfd_fd_ops, &epoll_fd_ops, &inotify_fd_ops,
	&shmem_fd_ops,
	&regular_fd_ops,
	&device_fd_ops,
	&pty_master_fd_ops, &pty_slave_fd_ops, &dev_tty_fd_ops,   /* character devices, before stdio's */
	&pipe_fd_ops,
	&socket_fd_ops,
	&inherit_fd_ops,
	&parent_fd_ops,
	&closed_socket_fd_ops,
	&tcp_fd_ops,
	&unix_bound_fd_ops,
	&net_socket_fd_ops,
};

#define NR_KINDS (sizeof(fd_kinds) / sizeof(fd_kinds[0]))

const struct fd_ops *fd_ops_of(uint32_t kind)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (fd_kinds[i]->kind == kind)
			return fd_kinds[i];
	return NULL;
}

int fdtypes_classify(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_KINDS; i++) {
		int claimed = fd_kinds[i]->classify ? fd_kinds[i]->classify(pid, f, st, e) : 0;
		if (claimed)
			return claimed < 0 ? -1 : 0;
	}
	f->r.kind = 0;
	return 0;
}

static int needs_memory(const struct fd_rec *f)
{
	const struct fd_ops *ops = fd_ops_of(f->r.kind);
	return ops && ops->needs_memory && !ops->after_tree;
}

int fdtypes_restore_after_memory(struct rexec *x, const struct fd_restore *c, const struct snapshot *s,
				 struct cryo_error *e)
{
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (f->r.dup_of < 0 && needs_memory(f) && fd_ops_of(f->r.kind)->restore(x, c, f, e))
			return -1;
	}
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		if (f->r.dup_of >= 0 && needs_memory(f) &&
		    rexec_call(x, "files", "dup3", SYS_dup3, f->r.dup_of, f->r.fd, f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0,
			       0, 0, 0, NULL, e, "cannot put fd %d in place", f->r.fd))
			return -1;
	}
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_ops *ops = fd_ops_of(s->fds[i].r.kind);
		if (ops && ops->complete && ops->complete(x, c, s, i, e))
			return -1;
	}
	return 0;
}
