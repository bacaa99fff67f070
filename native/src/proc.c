#include "proc.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int proc_read(pid_t pid, const char *name, char **buf, size_t *len, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cryo_fail_errno(e, pid, name, "open", "cannot open %s", path);

	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (!b) {
			close(fd);
			return cryo_fail(e, pid, name, "malloc", ENOMEM, "out of memory reading %s", path);
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0) {
			int err = errno;
			free(b);
			close(fd);
			return cryo_fail(e, pid, name, "read", err, "cannot read %s", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(b, cap + 1);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	close(fd);
	b[n] = 0;
	*buf = b;
	if (len)
		*len = n;
	return 0;
}

static void parse_ids(const char *line, uint32_t ids[4])
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	sscanf(line, "%u %u %u %u", &a, &b, &c, &d);
	ids[0] = a; ids[1] = b; ids[2] = c; ids[3] = d;
}

static int parse_status(char *buf, struct proc_status *st);

int proc_read_status(pid_t pid, struct proc_status *st, struct cryo_error *e)
{
	char *buf;
	if (proc_read(pid, "status", &buf, NULL, e))
		return -1;
	return parse_status(buf, st);
}

int proc_read_task_status(pid_t pid, pid_t tid, struct proc_status *st, struct cryo_error *e)
{
	char *buf, name[64];
	snprintf(name, sizeof(name), "task/%d/status", tid);
	if (proc_read(pid, name, &buf, NULL, e))
		return -1;
	return parse_status(buf, st);
}

static int parse_status(char *buf, struct proc_status *st)
{
	memset(st, 0, sizeof(*st));
	st->umask = 022;
	char *save;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Tgid:", 5))
			st->tgid = atoi(line + 5);
		else if (!strncmp(line, "PPid:", 5))
			st->ppid = atoi(line + 5);
		else if (!strncmp(line, "Uid:", 4))
			parse_ids(line + 4, st->uid);
		else if (!strncmp(line, "Gid:", 4))
			parse_ids(line + 4, st->gid);
		else if (!strncmp(line, "Groups:", 7)) {
			char *save2;
			for (char *tok = strtok_r(line + 7, " \t", &save2); tok && st->nr_groups < CRYO_MAX_GROUPS;
			     tok = strtok_r(NULL, " \t", &save2))
				st->groups[st->nr_groups++] = (uint32_t)strtoul(tok, NULL, 10);
		}
		else if (!strncmp(line, "Umask:", 6))
			st->umask = (uint32_t)strtoul(line + 6, NULL, 8);
		else if (!strncmp(line, "Threads:", 8))
			st->threads = atoi(line + 8);
		else if (!strncmp(line, "NSpid:", 6)) {
			char *save2;
			for (char *tok = strtok_r(line + 6, " \t", &save2); tok; tok = strtok_r(NULL, " \t", &save2)) {
				st->ns_pid = atoi(tok);
				st->ns_levels++;
			}
		}
		else if (!strncmp(line, "State:", 6)) {
			const char *p = line + 6;
			while (*p == ' ' || *p == '\t')
				p++;
			st->state = *p;
		}
	}
	free(buf);
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *st, struct cryo_error *e)
{
	char *buf;
	if (proc_read(pid, "stat", &buf, NULL, e))
		return -1;
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p) {
		free(buf);
		return cryo_fail(e, pid, "stat", "", 0, "cannot parse /proc/%d/stat", pid);
	}
	unsigned long long f[64] = {0};
	int n = 0;
	char *save;
	for (char *tok = strtok_r(p + 2, " ", &save); tok && n < 64; tok = strtok_r(NULL, " ", &save))
		f[n++] = strtoull(tok, NULL, 10);
	free(buf);
	if (n < 49)
		return cryo_fail(e, pid, "stat", "", 0, "short /proc/%d/stat (%d fields)", pid, n);
	/* f[0] is field 3 (state) of proc(5) */
	st->pgid = (pid_t)f[2];
	st->sid = (pid_t)f[3];
	st->start_code = f[23];
	st->end_code = f[24];
	st->start_stack = f[25];
	st->start_data = f[42];
	st->end_data = f[43];
	st->start_brk = f[44];
	st->arg_start = f[45];
	st->arg_end = f[46];
	st->env_start = f[47];
	st->env_end = f[48];
	return 0;
}

int proc_readlink(pid_t pid, const char *name, char *out, size_t size, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	ssize_t n = readlink(path, out, size - 1);
	if (n < 0)
		return cryo_fail_errno(e, pid, name, "readlink", "cannot read link %s", path);
	out[n] = 0;
	return 0;
}

int proc_dup_fd(pid_t pid, int fd, struct cryo_error *e)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return cryo_fail_errno(e, pid, "files", "pidfd_open", "cannot reach process %d", pid);
	int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (copy < 0)
		return cryo_fail_errno(e, pid, "files", "pidfd_getfd", "cannot look at fd %d of process %d", fd, pid);
	return copy;
}

static int read_comm(pid_t pid, char *comm, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = fgets(comm, (int)size, f) ? 0 : -1;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return rc;
}

/* A PID no process has is still taken while it names a session or process
 * group (its leader ended, members live on, or are zombies no one reaped):
 * one such member, or 0. */
static pid_t member_of_group_or_session(pid_t id)
{
	DIR *d = opendir("/proc");
	pid_t found = 0;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		pid_t p = (pid_t)atoi(de->d_name);
		struct proc_stat st;
		struct cryo_error ignored;
		if (p > 0 && !proc_read_stat(p, &st, &ignored) && (st.pgid == id || st.sid == id))
			found = p;
	}
	if (d)
		closedir(d);
	return found;
}

void proc_describe(pid_t pid, char *out, size_t size)
{
	char comm[64] = "?";
	if (!read_comm(pid, comm, sizeof(comm))) {
		snprintf(out, size, "%s[%d]", comm, pid);
		return;
	}
	pid_t member = member_of_group_or_session(pid);
	if (member && read_comm(member, comm, sizeof(comm)))
		snprintf(comm, sizeof(comm), "?");
	if (member)
		snprintf(out, size, "the session or process group of %s[%d] (its leader is gone; a zombie not reaped yet?)",
			 comm, member);
	else
		snprintf(out, size, "?[%d]", pid);
}

/* The access mode of fd of pid, from the octal "flags:" line of its fdinfo; -1 if unknown. */
static int fd_access_mode(pid_t pid, const char *fd)
{
	char path[320], line[128];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int mode = -1;
	unsigned int flags;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %o", &flags) == 1) {
			mode = (int)(flags & O_ACCMODE);
			break;
		}
	fclose(f);
	return mode;
}

static int holds(pid_t pid, uint64_t dev, uint64_t ino, int access, int *fd_out)
{
	char dir[48];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		if (st.st_ino != ino || st.st_dev != dev)
			continue;
		int mode = fd_access_mode(pid, de->d_name);
		if (access < 0 || mode == O_RDWR || mode == access) {
			found = 1;
			*fd_out = atoi(de->d_name);
		}
	}
	closedir(d);
	return found;
}

pid_t proc_find_holder(uint64_t dev, uint64_t ino, int access, int (*skip)(pid_t, const void *), const void *arg,
		       int *fd_out)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *de;
	pid_t found = 0;
	while (!found && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid() || (skip && skip((pid_t)pid, arg)))
			continue;
		if (holds((pid_t)pid, dev, ino, access, fd_out))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}
