#include "eventfds.h"
#include "fdtypes.h"
#include "error.h"
#include "memory.h"
#include "proc.h"

#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static const char *field(const char *info, const char *name)
{
	const char *at = strstr(info, name);
	return at ? at + strlen(name) : NULL;
}

static int set_detail(struct fd_rec *f, const void *detail, size_t len, pid_t pid, struct cryo_error *e)
{
	f->detail = malloc(len ? len : 1);
	if (!f->detail)
		return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
	memcpy(f->detail, detail, len);
	f->detail_len = (uint32_t)len;
	return 1;
}

static int capture_eventfd(pid_t pid, struct fd_rec *f, const char *info, struct cryo_error *e)
{
	struct cryo_fd_eventfd d = {0};
	const char *count = field(info, "eventfd-count:"), *sem = field(info, "eventfd-semaphore:");
	if (!count)
		return cryo_fail(e, pid, "files", "", EIO, "cannot read the counter of eventfd %d of process %d", f->r.fd, pid);
	d.count = strtoull(count, NULL, 16);
	d.semaphore = sem ? (uint32_t)atoi(sem) : 0;
	f->r.kind = CRYO_FD_EVENTFD;
	return set_detail(f, &d, sizeof(d), pid, e);
}

static int capture_timerfd(pid_t pid, struct fd_rec *f, const char *info, struct cryo_error *e)
{
	struct cryo_fd_timerfd d = {0};
	const char *clock = field(info, "clockid:"), *ticks = field(info, "ticks:"), *flags = field(info, "settime flags:");
	const char *value = field(info, "it_value:"), *interval = field(info, "it_interval:");
	long long vs = 0, vn = 0, is = 0, in = 0;
	if (!clock || !ticks || !value || !interval ||
	    sscanf(value, " (%lld, %lld)", &vs, &vn) != 2 || sscanf(interval, " (%lld, %lld)", &is, &in) != 2)
		return cryo_fail(e, pid, "files", "", EIO, "cannot read timerfd %d of process %d", f->r.fd, pid);
	d.clockid = atoi(clock);
	d.ticks = strtoull(ticks, NULL, 10);
	d.settime_flags = flags ? (uint32_t)strtoul(flags, NULL, 8) : 0;
	d.value_sec = vs;
	d.value_nsec = vn;
	d.interval_sec = is;
	d.interval_nsec = in;
	f->r.kind = CRYO_FD_TIMERFD;
	return set_detail(f, &d, sizeof(d), pid, e);
}

static int capture_signalfd(pid_t pid, struct fd_rec *f, const char *info, struct cryo_error *e)
{
	struct cryo_fd_signalfd d = {0};
	const char *mask = field(info, "sigmask:");
	if (!mask)
		return cryo_fail(e, pid, "files", "", EIO, "cannot read signalfd %d of process %d", f->r.fd, pid);
	d.mask = strtoull(mask, NULL, 16);
	f->r.kind = CRYO_FD_SIGNALFD;
	return set_detail(f, &d, sizeof(d), pid, e);
}

/* Is the file epoll set epfd of pid registered as (tfd, the toff-th such entry) open as fd in pid? */
static int registered_file_is(pid_t pid, int epfd, int tfd, int toff, int fd)
{
	struct kcmp_epoll_slot slot = { .efd = (uint32_t)epfd, .tfd = (uint32_t)tfd, .toff = (uint32_t)toff };
	return syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, fd, (unsigned long)&slot) == 0;
}

/* An entry names the open file it was registered with, by the number it had
 * then: if that number is closed now, or another file, the descriptor
 * that still holds the file (a dup kept when the first was closed) stands
 * for it; -1 if no descriptor holds it any more. */
static int fd_holding_target(pid_t pid, int epfd, int tfd, int toff)
{
	if (registered_file_is(pid, epfd, tfd, toff, tfd))
		return tfd;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	int found = -1;
	for (struct dirent *de; d && found < 0 && (de = readdir(d));)
		if (de->d_name[0] != '.' && registered_file_is(pid, epfd, tfd, toff, atoi(de->d_name)))
			found = atoi(de->d_name);
	if (d)
		closedir(d);
	return found;
}

/* How many of the first n entries were registered with number tfd. */
static int earlier_with_number(size_t n, const int *numbers, int tfd)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += numbers[i] == tfd;
	return k;
}

static int capture_epoll(pid_t pid, struct fd_rec *f, const char *info, struct cryo_error *e)
{
	struct cryo_epoll_target *t = NULL;
	int *numbers = NULL;        /* the numbers the entries were registered with */
	size_t n = 0;
	for (const char *at = strstr(info, "tfd:"); at; at = strstr(at + 4, "tfd:")) {
		int tfd;
		unsigned events;
		unsigned long long data;
		if (sscanf(at, "tfd: %d events: %x data: %llx", &tfd, &events, &data) != 3)
			continue;
		struct cryo_epoll_target *grown = realloc(t, (n + 1) * sizeof(*t));
		int *more = realloc(numbers, (n + 1) * sizeof(*numbers));
		if (more)
			numbers = more;
		if (grown)
			t = grown;
		if (!grown || !more) {
			free(t);
			free(numbers);
			return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
		}
		int holder = fd_holding_target(pid, f->r.fd, tfd, earlier_with_number(n, numbers, tfd));
		numbers[n] = tfd;
		if (holder < 0) {
			free(t);
			free(numbers);
			return cryo_fail(e, pid, "files", "", ENOTSUP,
					 "epoll fd %d of process %d watches a file (registered as fd %d) that no descriptor holds any more: not supported",
					 f->r.fd, pid, tfd);
		}
		t[n++] = (struct cryo_epoll_target){ holder, events, data };
	}
	free(numbers);
	f->r.kind = CRYO_FD_EPOLL;
	int rc = set_detail(f, t, n * sizeof(*t), pid, e);
	free(t);
	return rc;
}

/* A mount of the file system with device maj:min, opened to resolve file handles on it. */
static int open_mount_of(unsigned maj, unsigned min)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[4096];
	int fd = -1;
	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f)) {
		unsigned a, b;
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &a, &b, point) == 3 && a == maj && b == min)
			fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* open_by_handle_at refuses an O_PATH one */
	}
	fclose(f);
	return fd;
}

/* The path of an inotify watch, from the file handle fdinfo shows (root only: open_by_handle_at). */
static int watch_path(const char *line, char *path, size_t size)
{
	unsigned long sdev;
	unsigned bytes;
	int type;
	char hex[2 * MAX_HANDLE_SZ + 1];
	const char *at = strstr(line, "sdev:");
	if (!at || sscanf(at, "sdev:%lx", &sdev) != 1 || !(at = strstr(line, "fhandle-bytes:")) ||
	    sscanf(at, "fhandle-bytes:%x fhandle-type:%x f_handle:%256s", &bytes, &type, hex) != 3 || bytes > MAX_HANDLE_SZ)
		return -1;
	struct file_handle *fh = malloc(sizeof(*fh) + bytes);
	if (!fh)
		return -1;
	fh->handle_bytes = bytes;
	fh->handle_type = type;
	for (unsigned i = 0; i < bytes; i++)
		sscanf(hex + 2 * i, "%2hhx", &fh->f_handle[i]);
	int mnt = open_mount_of((unsigned)(sdev >> 20), (unsigned)(sdev & 0xfffff));
	int fd = mnt < 0 ? -1 : open_by_handle_at(mnt, fh, O_PATH | O_CLOEXEC);
	free(fh);
	if (mnt >= 0)
		close(mnt);
	if (fd < 0)
		return -1;
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	path[n] = 0;
	return 0;
}

/* Events queued and not yet read would be lost (watches come back, events
 * do not): counted on a copy of the descriptor, which reads nothing. */
static int refuse_queued_events(pid_t pid, const struct fd_rec *f, struct cryo_error *e)
{
	int queued = 0, fd = proc_dup_fd(pid, f->r.fd, e);
	if (fd < 0)
		return -1;
	int rc = ioctl(fd, FIONREAD, &queued);
	close(fd);
	if (rc < 0)
		return cryo_fail_errno(e, pid, "files", "ioctl(FIONREAD)", "cannot count the events of inotify fd %d of process %d",
				       f->r.fd, pid);
	if (queued > 0)
		return cryo_fail(e, pid, "files", "", ENOTSUP,
				 "inotify fd %d of process %d has %d bytes of events not yet read, which a restart would lose: not supported",
				 f->r.fd, pid, queued);
	return 0;
}

static int capture_inotify(pid_t pid, struct fd_rec *f, const char *info, struct cryo_error *e)
{
	char *out = NULL;
	size_t len = 0;
	if (refuse_queued_events(pid, f, e))
		return -1;
	for (const char *at = strstr(info, "inotify wd:"); at; at = strstr(at + 11, "inotify wd:")) {
		char path[PATH_MAX];
		struct cryo_inotify_watch w = {0};
		unsigned mask;
		if (sscanf(at, "inotify wd:%d", &w.wd) != 1 || !strstr(at, "mask:") ||
		    sscanf(strstr(at, " mask:"), " mask:%x", &mask) != 1)
			continue;
		const char *eol = strchr(at, '\n');
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", eol ? (int)(eol - at) : (int)strlen(at), at);
		if (watch_path(line, path, sizeof(path))) {
			free(out);
			return cryo_fail_errno(e, pid, "files", "open_by_handle_at",
					       "cannot find the path of inotify watch %d (fd %d of process %d; needs root)", w.wd, f->r.fd, pid);
		}
		w.mask = mask;
		w.path_len = (uint32_t)strlen(path);
		size_t need = sizeof(w) + ((w.path_len + 7) & ~7u);
		char *grown = realloc(out, len + need);
		if (!grown) {
			free(out);
			return cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
		}
		out = grown;
		memset(out + len, 0, need);
		memcpy(out + len, &w, sizeof(w));
		memcpy(out + len + sizeof(w), path, w.path_len);
		len += need;
	}
	f->r.kind = CRYO_FD_INOTIFY;
	f->detail = out ? out : malloc(1);
	f->detail_len = (uint32_t)len;
	return f->detail ? 1 : cryo_fail(e, pid, "files", "malloc", ENOMEM, "out of memory");
}

int eventfds_capture(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	static const struct { const char *link; int (*capture)(pid_t, struct fd_rec *, const char *, struct cryo_error *); } kinds[] = {
		{ "anon_inode:[eventfd]", capture_eventfd },
		{ "anon_inode:[timerfd]", capture_timerfd },
		{ "anon_inode:[signalfd]", capture_signalfd },
		{ "anon_inode:[eventpoll]", capture_epoll },
		{ "anon_inode:inotify", capture_inotify },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(f->path, kinds[i].link))
			continue;
		char name[64], *info;
		snprintf(name, sizeof(name), "fdinfo/%d", f->r.fd);
		if (proc_read(pid, name, &info, NULL, e))
			return -1;
		int rc = kinds[i].capture(pid, f, info, e);
		free(info);
		return rc;
	}
	return 0;
}

int eventfds_settle_timers(struct injector *in, uint64_t scratch, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", in->pid);
	DIR *d = opendir(path);
	if (!d)
		return cryo_fail_errno(e, in->pid, "files", "opendir", "cannot list the open files of process %d", in->pid);
	int rc = 0;
	for (struct dirent *de; !rc && (de = readdir(d));) {
		char link[PATH_MAX], name[300];
		snprintf(name, sizeof(name), "fd/%s", de->d_name);
		struct cryo_error ignored;
		long r;
		if (de->d_name[0] == '.' || proc_readlink(in->pid, name, link, sizeof(link), &ignored) ||
		    strcmp(link, "anon_inode:[timerfd]"))
			continue;
		rc = injector_syscall(in, SYS_timerfd_gettime, atoi(de->d_name), (long)scratch, 0, 0, 0, 0, &r, e);
	}
	closedir(d);
	return rc;
}

/* ---- restore ---- */

static int call(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long a4, long *ret,
		struct cryo_error *e)
{
	return injector_call(in, "files", what, "recreate an event descriptor of process", nr, a1, a2, a3, a4, 0, 0, ret,
			     e);
}

/* The new descriptor goes to its number (which nothing holds yet). */
static int place(struct injector *in, long fd, const struct fd_rec *f, struct cryo_error *e)
{
	int cloexec = f->r.fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
	if (fd == f->r.fd)
		return call(in, "fcntl", SYS_fcntl, fd, F_SETFD, cloexec ? FD_CLOEXEC : 0, 0, NULL, e);
	return call(in, "dup3", SYS_dup3, fd, f->r.fd, cloexec, 0, NULL, e) ||
	       call(in, "close", SYS_close, fd, 0, 0, 0, NULL, e) ? -1 : 0;
}

static int need(const struct fd_rec *f, size_t size, pid_t pid, struct cryo_error *e)
{
	if (f->detail_len < size)
		return cryo_fail(e, pid, "files", "", EINVAL, "fd %d: event descriptor detail missing", f->r.fd);
	return 0;
}

static int restore_one(struct injector *in, uint64_t scratch, const struct fd_rec *f, struct cryo_error *e)
{
	int nonblock = (int)(f->r.open_flags & O_NONBLOCK);
	long fd;
	switch (f->r.kind) {
	case CRYO_FD_EVENTFD: {
		struct cryo_fd_eventfd d;
		if (need(f, sizeof(d), in->pid, e))
			return -1;
		memcpy(&d, f->detail, sizeof(d));
		if (d.count > 0xffffffffULL)     /* eventfd2 takes an unsigned int: add the rest by writing */
			return cryo_fail(e, in->pid, "files", "", ERANGE, "eventfd %d counter too large", f->r.fd);
		if (call(in, "eventfd2", SYS_eventfd2, (long)d.count, nonblock | (d.semaphore ? EFD_SEMAPHORE : 0), 0, 0, &fd, e))
			return -1;
		break;
	}
	case CRYO_FD_TIMERFD: {
		struct cryo_fd_timerfd d;
		if (need(f, sizeof(d), in->pid, e))
			return -1;
		memcpy(&d, f->detail, sizeof(d));
		struct itimerspec its = { { d.interval_sec, d.interval_nsec }, { d.value_sec, d.value_nsec } };
		/* fdinfo gives the time left: armed relative, whatever flags it was set with.  A
		 * periodic timer that expired again after eventfds_settle_timers re-armed it shows
		 * no time left (the kernel moves it on only when it is read; its ticks count that
		 * expiry): it runs on, its next expiry one interval from now. */
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value = its.it_interval;
		if (call(in, "timerfd_create", SYS_timerfd_create, d.clockid, nonblock, 0, 0, &fd, e) ||
		    memory_poke(in->pid, scratch, &its, sizeof(its), e) ||
		    ((its.it_value.tv_sec || its.it_value.tv_nsec) &&
		     call(in, "timerfd_settime", SYS_timerfd_settime, fd, 0, (long)scratch, 0, NULL, e)))
			return -1;
		if (d.ticks && (memory_poke(in->pid, scratch, &d.ticks, sizeof(d.ticks), e) ||
				call(in, "ioctl(TFD_IOC_SET_TICKS)", SYS_ioctl, fd, TFD_IOC_SET_TICKS, (long)scratch, 0, NULL, e)))
			return -1;
		break;
	}
	case CRYO_FD_SIGNALFD: {
		struct cryo_fd_signalfd d;
		if (need(f, sizeof(d), in->pid, e) || (memcpy(&d, f->detail, sizeof(d)), 0) ||
		    memory_poke(in->pid, scratch, &d.mask, sizeof(d.mask), e) ||
		    call(in, "signalfd4", SYS_signalfd4, -1, (long)scratch, 8, nonblock, &fd, e))
			return -1;
		break;
	}
	case CRYO_FD_EPOLL:
		if (call(in, "epoll_create1", SYS_epoll_create1, 0, 0, 0, 0, &fd, e))
			return -1;
		break;
	case CRYO_FD_INOTIFY:
		if (call(in, "inotify_init1", SYS_inotify_init1, nonblock, 0, 0, 0, &fd, e))
			return -1;
		break;
	default:
		return 0;
	}
	return place(in, fd, f, e);
}

struct watch_ref {
	struct cryo_inotify_watch w;
	const char *path;
};

static int by_wd(const void *a, const void *b)
{
	return ((const struct watch_ref *)a)->w.wd - ((const struct watch_ref *)b)->w.wd;
}

static int add_watch(struct injector *in, uint64_t scratch, const struct fd_rec *f, const struct watch_ref *r,
		     relocate_fn relocate, struct cryo_error *e)
{
	char path[PATH_MAX], buf[PATH_MAX];
	snprintf(path, sizeof(path), "%.*s", (int)r->w.path_len, r->path);
	const char *where = relocate(path, buf, sizeof(buf));
	if (memory_poke(in->pid, scratch, where, strlen(where) + 1, e))
		return -1;
	for (int tries = 0;; tries++) {
		long wd;
		if (call(in, "inotify_add_watch", SYS_inotify_add_watch, f->r.fd, (long)scratch, r->w.mask, 0, &wd, e))
			return -1;
		if (wd == r->w.wd)
			return 0;
		if (wd > r->w.wd || tries > 4096)
			return cryo_fail(e, in->pid, "files", "inotify_add_watch", EEXIST,
					 "inotify fd %d: cannot give watch %s its number %d again", f->r.fd, where, r->w.wd);
		if (call(in, "inotify_rm_watch", SYS_inotify_rm_watch, f->r.fd, wd, 0, 0, NULL, e))
			return -1;
	}
}

/* The throw-away watches left IN_IGNORED events behind: the queue was empty
 * as far as Cryo keeps it, so it is emptied (FIONREAD first: a read must not block). */
static int drop_queued_events(struct injector *in, uint64_t scratch, const struct fd_rec *f, struct cryo_error *e)
{
	int queued = 0;
	if (call(in, "ioctl(FIONREAD)", SYS_ioctl, f->r.fd, FIONREAD, (long)scratch, 0, NULL, e) ||
	    memory_peek(in->pid, scratch, &queued, sizeof(queued), e))
		return -1;
	if (queued > 0 && queued <= 60000)
		return call(in, "read", SYS_read, f->r.fd, (long)scratch, queued, 0, NULL, e);
	return 0;
}

/* Watches come back with their own numbers: added in ascending order, with
 * throw-away watches to skip numbers that were free. */
static int fill_inotify(struct injector *in, uint64_t scratch, const struct fd_rec *f, relocate_fn relocate,
			struct cryo_error *e)
{
	struct watch_ref *refs = NULL;
	size_t n = 0;
	int rc = 0;
	for (size_t at = 0; at + sizeof(struct cryo_inotify_watch) <= f->detail_len;) {
		struct watch_ref r;
		memcpy(&r.w, f->detail + at, sizeof(r.w));
		at += sizeof(r.w);
		if (r.w.path_len > f->detail_len - at || r.w.path_len >= PATH_MAX) {
			free(refs);
			return cryo_fail(e, in->pid, "files", "", EINVAL, "inotify fd %d: damaged watch", f->r.fd);
		}
		r.path = f->detail + at;
		at += (r.w.path_len + 7) & ~7u;
		struct watch_ref *grown = realloc(refs, (n + 1) * sizeof(*refs));
		if (!grown) {
			free(refs);
			return cryo_fail(e, in->pid, "files", "malloc", ENOMEM, "out of memory");
		}
		refs = grown;
		refs[n++] = r;
	}
	if (n)
		qsort(refs, n, sizeof(*refs), by_wd);
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_watch(in, scratch, f, &refs[i], relocate, e);
	free(refs);
	return rc ? -1 : drop_queued_events(in, scratch, f, e);
}

static int fill_epoll(struct injector *in, uint64_t scratch, const struct fd_rec *f, struct cryo_error *e)
{
	size_t n = f->detail_len / sizeof(struct cryo_epoll_target);
	for (size_t i = 0; i < n; i++) {
		struct cryo_epoll_target t;
		memcpy(&t, f->detail + i * sizeof(t), sizeof(t));
		struct epoll_event ev = { .events = t.events, .data.u64 = t.data };
		if (memory_poke(in->pid, scratch, &ev, sizeof(ev), e) ||
		    call(in, "epoll_ctl", SYS_epoll_ctl, f->r.fd, EPOLL_CTL_ADD, t.fd, (long)scratch, NULL, e))
			return -1;
	}
	return 0;
}

/* ---- the event descriptor kinds (fdtypes.h) ---- */

static int classify_event(pid_t pid, struct fd_rec *f, const struct stat *st, struct cryo_error *e)
{
	return eventfds_capture(pid, f, e);
}

static int restore_event(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	return restore_one(x->in, x->scratch, f, e);
}

static int complete_inotify(struct rexec *x, const struct fd_restore *c, const struct snapshot *s, int i,
			    struct cryo_error *e)
{
	return s->fds[i].r.dup_of >= 0 ? 0 : fill_inotify(x->in, x->scratch, &s->fds[i], c->relocate, e);
}

/* epoll sets watch descriptors: all of them exist now */
static int complete_epoll(struct rexec *x, const struct fd_restore *c, const struct snapshot *s, int i,
			  struct cryo_error *e)
{
	return s->fds[i].r.dup_of >= 0 ? 0 : fill_epoll(x->in, x->scratch, &s->fds[i], e);
}

/* eventfds_capture tells the five apart by their link: the first claims for all. */
const struct fd_ops eventfd_fd_ops = {
	.kind = CRYO_FD_EVENTFD, .name = "eventfd", .classify = classify_event, .restore = restore_event, .needs_memory = 1,
};
const struct fd_ops timerfd_fd_ops = {
	.kind = CRYO_FD_TIMERFD, .name = "timerfd", .restore = restore_event, .needs_memory = 1,
};
const struct fd_ops signalfd_fd_ops = {
	.kind = CRYO_FD_SIGNALFD, .name = "signalfd", .restore = restore_event, .needs_memory = 1,
};
const struct fd_ops epoll_fd_ops = {
	.kind = CRYO_FD_EPOLL, .name = "epoll", .restore = restore_event, .needs_memory = 1, .complete = complete_epoll,
};
const struct fd_ops inotify_fd_ops = {
	.kind = CRYO_FD_INOTIFY, .name = "inotify", .restore = restore_event, .needs_memory = 1,
	.complete = complete_inotify,
};
