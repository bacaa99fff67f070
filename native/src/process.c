#include "process.h"
#include "error.h"
#include "memory.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int remote_query(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long a4,
			long *ret, struct cryo_error *e)
{
	return injector_call(in, "process", what, "read the attributes of process", nr, a1, a2, a3, a4, 0, 0, ret, e);
}

/* /proc/PID/personality (hex), readable to whoever may trace the process; -1 if not. */
static int read_personality(pid_t pid, uint32_t *out)
{
	char *buf;
	struct cryo_error ignored;
	if (proc_read(pid, "personality", &buf, NULL, &ignored))
		return -1;
	char *end;
	unsigned long v = strtoul(buf, &end, 16);
	int ok = end != buf;
	free(buf);
	if (ok)
		*out = (uint32_t)v;
	return ok ? 0 : -1;
}

static int capture_limits_and_timers(struct injector *in, uint64_t scratch, struct cryo_process *p,
				     struct cryo_error *e)
{
	long r;
	for (int res = 0; res < CRYO_RLIMITS; res++) {
		/* from outside where allowed (same user): an injected call is a moment in
		 * which the engine's death would cost the process; else (another user's
		 * process, no CAP_SYS_RESOURCE) the process itself is asked */
		if (syscall(SYS_prlimit64, in->tgid, res, NULL, &p->rlimits[res]) == 0)
			continue;
		if (remote_query(in, "prlimit64", SYS_prlimit64, 0, res, 0, (long)scratch, &r, e) ||
		    memory_peek(in->pid, scratch, &p->rlimits[res], sizeof(p->rlimits[res]), e))
			return -1;
	}
	for (int which = 0; which < 3; which++) {
		if (remote_query(in, "getitimer", SYS_getitimer, which, (long)scratch, 0, 0, &r, e) ||
		    memory_peek(in->pid, scratch, &p->itimers[which], sizeof(p->itimers[which]), e))
			return -1;
	}
	if (read_personality(in->tgid, &p->personality)) {
		if (remote_query(in, "personality", SYS_personality, 0xffffffff, 0, 0, 0, &r, e))
			return -1;
		p->personality = (uint32_t)r;
	}
	if (remote_query(in, "brk", SYS_brk, 0, 0, 0, 0, &r, e))
		return -1;
	p->brk = (uint64_t)r;
	return 0;
}

static int capture_auxv(pid_t pid, struct cryo_process *p, struct cryo_error *e)
{
	char *buf;
	size_t len;
	if (proc_read(pid, "auxv", &buf, &len, e))
		return -1;
	size_t words = len / 8 > CRYO_AUXV_WORDS ? CRYO_AUXV_WORDS : len / 8;
	memcpy(p->auxv, buf, words * 8);
	p->auxv_words = (uint32_t)words;
	free(buf);
	return 0;
}

/* Where the process stands in PID namespaces, seen from the checkpointer's. */
static void record_pid_namespace(struct cryo_process *p, const struct proc_status *st)
{
	static int own_levels;
	if (!own_levels) {
		struct proc_status self;
		struct cryo_error ignored;
		own_levels = proc_read_status(getpid(), &self, &ignored) == 0 && self.ns_levels ? self.ns_levels : 1;
	}
	p->ns_pid = st->ns_pid;
	p->ns_depth = st->ns_levels > own_levels ? (uint32_t)(st->ns_levels - own_levels) : 0;
}

static int capture_identity(pid_t pid, struct snapshot *s, struct cryo_error *e)
{
	struct proc_status st;
	struct proc_stat sp;
	char path[PATH_MAX], *text;
	size_t len;
	struct cryo_process *p = &s->proc;

	if (proc_read_status(pid, &st, e) || proc_read_stat(pid, &sp, e))
		return -1;
	p->pid = pid;
	p->ppid = st.ppid;
	p->pgid = sp.pgid;
	p->sid = sp.sid;
	record_pid_namespace(p, &st);
	memcpy(p->uid, st.uid, sizeof(p->uid));
	memcpy(p->gid, st.gid, sizeof(p->gid));
	s->nr_groups = st.nr_groups;
	memcpy(s->groups, st.groups, sizeof(s->groups));
	p->umask = st.umask;
	p->start_code = sp.start_code;
	p->end_code = sp.end_code;
	p->start_data = sp.start_data;
	p->end_data = sp.end_data;
	p->start_brk = sp.start_brk;
	p->start_stack = sp.start_stack;
	p->arg_start = sp.arg_start;
	p->arg_end = sp.arg_end;
	p->env_start = sp.env_start;
	p->env_end = sp.env_end;

	if (proc_readlink(pid, "cwd", path, sizeof(path), e) || !(s->cwd = snap_strdup(path)))
		return -1;
	size_t cwd_len = strlen(path);
	if (cwd_len > 10 && !strcmp(path + cwd_len - 10, " (deleted)"))   /* nothing to chdir into at restart */
		return cryo_fail(e, pid, "cwd", "", ENOENT,
				 "the working directory of process %d is %s, which was deleted: Cryo cannot restore it", pid, path);
	if (proc_readlink(pid, "exe", path, sizeof(path), e) || !(s->exe = snap_strdup(path)))
		return -1;
	struct stat est;
	char exe_link[64];
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
	if (stat(exe_link, &est) < 0)
		return cryo_fail_errno(e, pid, "executable", "stat", "cannot read the executable of process %d", pid);
	p->exe_id = (struct cryo_file_id){ est.st_dev, est.st_ino, (uint64_t)est.st_size,
					   est.st_mtim.tv_sec, est.st_mtim.tv_nsec, est.st_mode, 0 };
	if (proc_read(pid, "comm", &text, NULL, e))
		return -1;
	text[strcspn(text, "\n")] = 0;
	s->comm = text;
	if (proc_read(pid, "cmdline", &text, &len, e))
		return -1;
	s->cmdline = text;
	s->cmdline_len = (uint32_t)len;
	return capture_auxv(pid, p, e);
}

static void capture_info(struct snapshot *s)
{
	struct utsname u;
	struct timespec now;
	struct passwd *pw = getpwuid(getuid());
	uname(&u);
	clock_gettime(CLOCK_REALTIME, &now);
	s->info.cryo_version = CRYO_VERSION;
	s->info.time_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	s->info.uid = getuid();
	s->info.gid = getgid();
	s->hostname = snap_strdup(u.nodename);
	s->kernel = snap_strdup(u.release);
	s->user = snap_strdup(pw ? pw->pw_name : "?");
}

int process_capture_zombie(pid_t pid, struct snapshot *s, struct cryo_error *e)
{
	struct proc_status st;
	struct proc_stat sp;
	char *buf;
	if (proc_read_status(pid, &st, e) || proc_read_stat(pid, &sp, e) || proc_read(pid, "stat", &buf, NULL, e))
		return -1;
	/* exit_code is the last field of /proc/PID/stat */
	char *last = strrchr(buf, ' ');
	s->proc.exit_code = last ? atoi(last + 1) : 0;
	free(buf);
	s->proc.state = CRYO_PROCESS_ZOMBIE;
	s->proc.pid = pid;
	record_pid_namespace(&s->proc, &st);
	s->proc.ppid = st.ppid;
	s->proc.pgid = sp.pgid;
	s->proc.sid = sp.sid;
	memcpy(s->proc.uid, st.uid, sizeof(s->proc.uid));
	memcpy(s->proc.gid, st.gid, sizeof(s->proc.gid));
	s->comm = snap_strdup("");
	s->cwd = snap_strdup("");
	s->exe = snap_strdup("");
	return 0;
}

int process_capture(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e)
{
	capture_info(s);
	if (capture_identity(in->pid, s, e) || capture_limits_and_timers(in, scratch, &s->proc, e))
		return -1;
	return 0;
}

/* Limits can be lowered freely but never raised above what the caller has. */
static void clamp_limit(struct rlimit *want, const struct rlimit *have)
{
	if (have->rlim_max != RLIM_INFINITY && (want->rlim_max == RLIM_INFINITY || want->rlim_max > have->rlim_max))
		want->rlim_max = have->rlim_max;
	if (want->rlim_cur != RLIM_INFINITY && want->rlim_cur > want->rlim_max)
		want->rlim_cur = want->rlim_max;
	if (want->rlim_cur == RLIM_INFINITY && want->rlim_max != RLIM_INFINITY)
		want->rlim_cur = want->rlim_max;
}

int process_restore_self(const struct snapshot *s, const char *cwd, struct cryo_error *e)
{
	const struct cryo_process *p = &s->proc;
	pid_t self = getpid();
	if (chdir(cwd) < 0)
		return cryo_fail_errno(e, self, "cwd", "chdir", "cannot enter the working directory %s", cwd);
	umask(p->umask);
	for (int res = 0; res < CRYO_RLIMITS && res < RLIM_NLIMITS; res++) {
		struct rlimit want = { p->rlimits[res].cur, p->rlimits[res].max }, have;
		if (getrlimit(res, &have) < 0)
			continue;
		clamp_limit(&want, &have);
		if (setrlimit(res, &want) < 0)
			return cryo_fail_errno(e, self, "resource limits", "setrlimit", "cannot restore resource limit %d", res);
	}
	if (prctl(PR_SET_NAME, s->comm) < 0)
		return cryo_fail_errno(e, self, "command name", "prctl(PR_SET_NAME)", "cannot restore the command name %s", s->comm);
	if (personality(p->personality) < 0)
		return cryo_fail_errno(e, self, "personality", "personality", "cannot restore personality %#x", p->personality);
	return 0;
}

static int remote_attr(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long a4,
		       long *ret, struct cryo_error *e)
{
	return injector_call(in, "process", what, "restore the attributes of process", nr, a1, a2, a3, a4, 0, 0, ret, e);
}

int process_restore_injected(struct injector *in, uint64_t scratch, const struct snapshot *s, const char *cwd,
			     struct cryo_error *e)
{
	const struct cryo_process *p = &s->proc;
	size_t len = strlen(cwd) + 1;
	if (len > 4096)
		return cryo_fail(e, in->pid, "cwd", "", ENAMETOOLONG, "path too long: %s", cwd);
	if (memory_poke(in->pid, scratch, cwd, len, e) ||
	    remote_attr(in, "chdir", SYS_chdir, (long)scratch, 0, 0, 0, NULL, e) ||
	    remote_attr(in, "umask", SYS_umask, p->umask, 0, 0, 0, NULL, e) ||
	    remote_attr(in, "personality", SYS_personality, p->personality, 0, 0, 0, NULL, e))
		return -1;
	char comm[16] = {0};
	snprintf(comm, sizeof(comm), "%s", s->comm);
	if (memory_poke(in->pid, scratch, comm, sizeof(comm), e) ||
	    remote_attr(in, "prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, (long)scratch, 0, 0, NULL, e))
		return -1;
	for (int res = 0; res < CRYO_RLIMITS && res < RLIM_NLIMITS; res++) {
		struct rlimit want = { p->rlimits[res].cur, p->rlimits[res].max }, have;
		if (remote_attr(in, "prlimit64", SYS_prlimit64, 0, res, 0, (long)scratch, NULL, e) ||
		    memory_peek(in->pid, scratch, &have, sizeof(have), e))
			return -1;
		clamp_limit(&want, &have);
		if (memory_poke(in->pid, scratch, &want, sizeof(want), e) ||
		    remote_attr(in, "prlimit64", SYS_prlimit64, 0, res, (long)scratch, 0, NULL, e))
			return -1;
	}
	return 0;
}

int process_restore_timers(struct injector *in, uint64_t scratch, const struct snapshot *s, struct cryo_error *e)
{
	for (int which = 0; which < 3; which++) {
		const struct cryo_itimer *t = &s->proc.itimers[which];
		long r;
		if (!t->value_sec && !t->value_usec)
			continue;
		if (memory_poke(in->pid, scratch, t, sizeof(*t), e) ||
		    injector_syscall(in, SYS_setitimer, which, (long)scratch, 0, 0, 0, 0, &r, e))
			return -1;
		if (r < 0)
			return cryo_fail(e, in->pid, "interval timers", "setitimer", (int)-r, "cannot restore interval timer %d", which);
	}
	return 0;
}
