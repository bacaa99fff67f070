/* Reading a process's /proc files. */
#ifndef CRYO_PROC_H
#define CRYO_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cryo/cryo.h"
#include "cryo/format.h"

struct proc_status {
	pid_t tgid, ppid;
	pid_t ns_pid;               /* the innermost of NSpid */
	int ns_levels;              /* how many PIDs NSpid lists */
	uint32_t uid[4], gid[4];    /* real, effective, saved, fs */
	uint32_t umask;
	int threads;
	char state;
	int nr_groups;              /* supplementary groups (at most CRYO_MAX_GROUPS kept) */
	uint32_t groups[CRYO_MAX_GROUPS];
};

struct proc_stat {
	pid_t pgid, sid;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
};

/* Read a whole /proc/PID/NAME file into a malloc'd, NUL-terminated buffer. */
int proc_read(pid_t pid, const char *name, char **buf, size_t *len, struct cryo_error *e);
int proc_read_status(pid_t pid, struct proc_status *st, struct cryo_error *e);
/* The same for one thread (/proc/PID/task/TID/status). */
int proc_read_task_status(pid_t pid, pid_t tid, struct proc_status *st, struct cryo_error *e);
int proc_read_stat(pid_t pid, struct proc_stat *st, struct cryo_error *e);
/* readlink /proc/PID/NAME into out (size PATH_MAX) */
int proc_readlink(pid_t pid, const char *name, char *out, size_t size, struct cryo_error *e);
/* A copy of descriptor fd of process pid in the caller (pidfd_getfd: the
 * same open file, nothing of the process's changed); -1 with *e on failure. */
int proc_dup_fd(pid_t pid, int fd, struct cryo_error *e);
/* The process that holds pid as its PID, described for an error message. */
void proc_describe(pid_t pid, char *out, size_t size);
/* A process of the node, other than the caller and those skip() names, that
 * holds the file dev/ino open with access mode access (O_RDONLY, O_WRONLY;
 * an O_RDWR open file counts for both; -1: any); its fd in *fd_out. 0 if none
 * is seen (a descriptor in flight in a Unix socket is not). Reads every
 * process's /proc/PID/fd: for the rare question a descriptor cannot answer. */
pid_t proc_find_holder(uint64_t dev, uint64_t ino, int access, int (*skip)(pid_t, const void *), const void *arg,
		       int *fd_out);

#endif
