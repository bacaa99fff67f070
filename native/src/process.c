#include "process.h"
#include "error.h"
#include "memory.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sched.h>
#include <linux/capability.h>
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

/* ---- attributes the kernel keeps per process (or per thread, alike in every thread) ---- */

/* The number after "Seccomp:" in a thread's status, -1 if absent. */
static int seccomp_mode_of(pid_t pid, pid_t tid)
{
	char name[64], *buf;
	struct cryo_error ignored;
	snprintf(name, sizeof(name), "task/%d/status", tid);
	if (proc_read(pid, name, &buf, NULL, &ignored))
		return -1;
	char *at = strstr(buf, "\nSeccomp:");
	int mode = at ? atoi(at + 9) : -1;
	free(buf);
	return mode;
}

/* Every thread of pid, listed from /proc; *tids malloc'd. */
static int list_threads(pid_t pid, pid_t **tids, int *nr, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return cryo_fail_errno(e, pid, "threads", "opendir", "cannot list the threads of process %d", pid);
	int cap = 16, n = 0;
	pid_t *list = malloc((size_t)cap * sizeof(*list));
	struct dirent *de;
	while (list && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (n == cap) {
			pid_t *grown = realloc(list, (size_t)(cap *= 2) * sizeof(*list));
			if (!grown) {
				free(list);
				list = NULL;
				break;
			}
			list = grown;
		}
		list[n++] = atoi(de->d_name);
	}
	closedir(d);
	if (!list)
		return cryo_fail(e, pid, "threads", "malloc", ENOMEM, "out of memory");
	*tids = list;
	*nr = n;
	return 0;
}

int process_refuse_seccomp(pid_t pid, struct cryo_error *e)
{
	pid_t *tids;
	int nr;
	if (list_threads(pid, &tids, &nr, e))
		return -1;
	int rc = 0;
	for (int i = 0; i < nr && !rc; i++) {
		int mode = seccomp_mode_of(pid, tids[i]);
		/* strict mode kills a thread at its first injected syscall; a filter
		 * may kill or refuse them unless root suspends it (seccomp.c) */
		if (mode == 1)
			rc = cryo_fail(e, pid, "seccomp", "", ENOTSUP,
				       "process %d (thread %d) runs under SECCOMP_MODE_STRICT: cannot be checkpointed, refused",
				       pid, tids[i]);
		else if (mode == 2 && geteuid() != 0)
			rc = cryo_fail(e, pid, "seccomp", "", EPERM,
				       "process %d (thread %d) runs under a seccomp filter, which only root can checkpoint: refused",
				       pid, tids[i]);
	}
	free(tids);
	return rc;
}

/* The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER0), whatever the C
 * library declares. */
struct sched_attr0 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};
#define SCHED_FLAG_RESET_ON_FORK_ 0x01
#define SCHED_FLAG_RECLAIM_       0x02
#define SCHED_FLAG_DL_OVERRUN_    0x04

static int sched_getattr_of(pid_t tid, struct sched_attr0 *a)
{
	memset(a, 0, sizeof(*a));
	return (int)syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0);
}

static int same_scheduling(const struct sched_attr0 *a, const struct sched_attr0 *b)
{
	return a->sched_policy == b->sched_policy && a->sched_flags == b->sched_flags && a->sched_nice == b->sched_nice &&
	       a->sched_priority == b->sched_priority && a->sched_runtime == b->sched_runtime &&
	       a->sched_deadline == b->sched_deadline && a->sched_period == b->sched_period;
}

/* The leader's policy, priority and nice, which every thread must share:
 * one record per process. */
static int capture_scheduling(pid_t pid, struct cryo_proc_attrs *a, struct cryo_error *e)
{
	struct sched_attr0 leader, other;
	if (sched_getattr_of(pid, &leader) < 0)
		return cryo_fail_errno(e, pid, "scheduling", "sched_getattr", "cannot read the scheduling policy of process %d", pid);
	pid_t *tids;
	int nr, rc = 0;
	if (list_threads(pid, &tids, &nr, e))
		return -1;
	for (int i = 0; i < nr && !rc; i++)
		if (tids[i] != pid && sched_getattr_of(tids[i], &other) == 0 && !same_scheduling(&leader, &other))
			rc = cryo_fail(e, pid, "scheduling", "", ENOTSUP,
				       "thread %d of process %d has a scheduling policy or nice value of its own: not supported, refused",
				       tids[i], pid);
	free(tids);
	a->sched_policy = leader.sched_policy & ~(uint32_t)SCHED_RESET_ON_FORK;
	a->sched_flags = leader.sched_flags;
	a->sched_nice = leader.sched_nice;
	a->sched_priority = leader.sched_priority;
	a->sched_runtime = leader.sched_runtime;
	a->sched_deadline = leader.sched_deadline;
	a->sched_period = leader.sched_period;
	return rc;
}

static int read_proc_number(pid_t pid, const char *name, long long *out, struct cryo_error *e)
{
	char *buf;
	if (proc_read(pid, name, &buf, NULL, e))
		return -1;
	char *end;
	*out = strtoll(buf, &end, 10);
	int ok = end != buf;
	free(buf);
	if (!ok)
		return cryo_fail(e, pid, name, "read", EINVAL, "cannot parse /proc/%d/%s", pid, name);
	return 0;
}

/* An int the process's prctl(option, &int) writes into scratch. */
static int remote_prctl_int(struct injector *in, uint64_t scratch, const char *what, int option, int32_t *out,
			    struct cryo_error *e)
{
	long r;
	return remote_query(in, what, SYS_prctl, option, (long)scratch, 0, 0, &r, e) ||
	       memory_peek(in->pid, scratch, out, sizeof(*out), e) ? -1 : 0;
}

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif

/* A private membarrier registration shows in whether its command is
 * allowed: an unregistered process gets EPERM (one barrier more is
 * harmless).  The global one (a process that wants to receive the global
 * barriers) allows nothing of its own: it shows only in
 * MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3+; before it, not seen). */
static int capture_membarrier(struct injector *in, struct cryo_proc_attrs *a, struct cryo_error *e)
{
	long registered;
	if (injector_syscall(in, SYS_membarrier, MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0, 0, 0, 0, &registered, e))
		return -1;
	if (registered >= 0 && registered & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED)
		a->membarrier |= CRYO_MEMBARRIER_GLOBAL_EXPEDITED;
	static const struct { int cmd; uint32_t bit; } probes[] = {
		{ MEMBARRIER_CMD_PRIVATE_EXPEDITED, CRYO_MEMBARRIER_PRIVATE_EXPEDITED },
		{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, CRYO_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE },
		{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, CRYO_MEMBARRIER_PRIVATE_EXPEDITED_RSEQ },
	};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		long r;
		if (injector_syscall(in, SYS_membarrier, probes[i].cmd, 0, 0, 0, 0, 0, &r, e))
			return -1;
		if (r == 0)
			a->membarrier |= probes[i].bit;
	}
	return 0;
}

/* The five capability sets of one thread, from its status. */
struct cap_sets { uint64_t inh, prm, eff, bnd, amb; };

static int read_cap_sets(pid_t pid, pid_t tid, struct cap_sets *c, struct cryo_error *e)
{
	static const char *names[] = { "\nCapInh:", "\nCapPrm:", "\nCapEff:", "\nCapBnd:", "\nCapAmb:" };
	uint64_t *fields[] = { &c->inh, &c->prm, &c->eff, &c->bnd, &c->amb };
	char name[64], *buf;
	snprintf(name, sizeof(name), "task/%d/status", tid);
	if (proc_read(pid, name, &buf, NULL, e))
		return -1;
	int rc = 0;
	for (int i = 0; i < 5 && !rc; i++) {
		char *at = strstr(buf, names[i]);
		if (!at)
			rc = cryo_fail(e, pid, "capabilities", "read", EINVAL, "no %s in /proc/%d/%s", names[i] + 1, pid, name);
		else
			*fields[i] = strtoull(at + strlen(names[i]), NULL, 16);
	}
	free(buf);
	return rc;
}

/* One record per process: threads with capabilities of their own are refused. */
static int capture_capabilities(pid_t pid, struct cryo_proc_attrs *a, struct cryo_error *e)
{
	struct cap_sets leader, other;
	pid_t *tids;
	int nr, rc = 0;
	if (read_cap_sets(pid, pid, &leader, e) || list_threads(pid, &tids, &nr, e))
		return -1;
	for (int i = 0; i < nr && !rc; i++)
		if (tids[i] != pid && read_cap_sets(pid, tids[i], &other, e) == 0 &&
		    memcmp(&leader, &other, sizeof(leader)) != 0)
			rc = cryo_fail(e, pid, "capabilities", "", ENOTSUP,
				       "thread %d of process %d has capabilities of its own: not supported, refused", tids[i], pid);
	free(tids);
	a->cap_inheritable = leader.inh;
	a->cap_permitted = leader.prm;
	a->cap_effective = leader.eff;
	a->cap_bounding = leader.bnd;
	a->cap_ambient = leader.amb;
	return rc;
}

static int capture_attrs(struct injector *in, uint64_t scratch, struct snapshot *s, struct cryo_error *e)
{
	struct cryo_proc_attrs *a = &s->attrs;
	int32_t v;
	long r;
	long long n;
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	if (remote_prctl_int(in, scratch, "prctl(PR_GET_CHILD_SUBREAPER)", PR_GET_CHILD_SUBREAPER, &v, e))
		return -1;
	a->child_subreaper = v != 0;
	if (remote_prctl_int(in, scratch, "prctl(PR_GET_PDEATHSIG)", PR_GET_PDEATHSIG, &a->pdeathsig, e) ||
	    remote_query(in, "prctl(PR_GET_THP_DISABLE)", SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, &r, e))
		return -1;
	a->thp_disable = r > 0;
	if (remote_query(in, "prctl(PR_GET_NO_NEW_PRIVS)", SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, &r, e))
		return -1;
	a->no_new_privs = r > 0;
	if (capture_membarrier(in, a, e) || capture_scheduling(in->tgid, a, e) ||
	    read_proc_number(in->tgid, "oom_score_adj", &n, e))
		return -1;
	a->oom_score_adj = (int32_t)n;
	if (read_proc_number(in->tgid, "loginuid", &n, e))
		return -1;
	a->loginuid = (uint32_t)n;
	if (capture_capabilities(in->tgid, a, e))
		return -1;
	s->has_attrs = 1;
	return 0;
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
	if (capture_identity(in->pid, s, e) || capture_limits_and_timers(in, scratch, &s->proc, e) ||
	    capture_attrs(in, scratch, s, e))
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

static int restore_limits(struct rexec *x, const struct cryo_process *p, struct cryo_error *e)
{
	for (int res = 0; res < CRYO_RLIMITS && res < RLIM_NLIMITS; res++) {
		struct rlimit want = { p->rlimits[res].cur, p->rlimits[res].max }, have;
		uint64_t at;
		if (rexec_out(x, 0, sizeof(have), &at, e) ||
		    rexec_call(x, "resource limits", "prlimit64", SYS_prlimit64, 0, res, 0, (long)at, 0, 0, NULL, e,
			       "cannot read resource limit %d", res) ||
		    rexec_get(x, 0, &have, sizeof(have), e))
			return -1;
		clamp_limit(&want, &have);
		if (rexec_put(x, 0, &want, sizeof(want), &at, e) ||
		    rexec_call(x, "resource limits", "prlimit64", SYS_prlimit64, 0, res, (long)at, 0, 0, 0, NULL, e,
			       "cannot restore resource limit %d", res))
			return -1;
	}
	return 0;
}

int process_restore(struct rexec *x, const struct snapshot *s, const char *cwd, struct cryo_error *e)
{
	const struct cryo_process *p = &s->proc;
	char comm[16] = {0};
	uint64_t at;
	snprintf(comm, sizeof(comm), "%s", s->comm);
	if (rexec_put_string(x, 0, cwd, &at, e) ||
	    rexec_call(x, "cwd", "chdir", SYS_chdir, (long)at, 0, 0, 0, 0, 0, NULL, e,
		       "cannot enter the working directory %s", cwd) ||
	    rexec_call(x, "umask", "umask", SYS_umask, p->umask, 0, 0, 0, 0, 0, NULL, e, "cannot restore the umask") ||
	    restore_limits(x, p, e) ||
	    rexec_put(x, 0, comm, sizeof(comm), &at, e) ||
	    rexec_call(x, "command name", "prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, (long)at, 0, 0, 0, 0, NULL, e,
		       "cannot restore the command name %s", s->comm) ||
	    rexec_call(x, "personality", "personality", SYS_personality, p->personality, 0, 0, 0, 0, 0, NULL, e,
		       "cannot restore personality %#x", p->personality))
		return -1;
	return 0;
}

static int remote_attr(struct injector *in, const char *what, long nr, long a1, long a2, long a3, long a4,
		       long *ret, struct cryo_error *e)
{
	return injector_call(in, "process", what, "restore the attributes of process", nr, a1, a2, a3, a4, 0, 0, ret, e);
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

/* ---- restoring the attributes ---- */

static const char *policy_name(uint32_t policy)
{
	switch (policy) {
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	case SCHED_DEADLINE: return "SCHED_DEADLINE";
	default: return "an unknown policy";
	}
}

/* Lowering it below what the process inherited needs CAP_SYS_RESOURCE: a
 * restart that cannot is refused rather than left more likely to be killed
 * by the OOM killer than the original was not. */
static int restore_oom_score_adj(pid_t pid, int32_t want, struct cryo_error *e)
{
	long long have;
	if (read_proc_number(pid, "oom_score_adj", &have, e))
		return -1;
	if (have == want)
		return 0;
	char path[64], text[16];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	int len = snprintf(text, sizeof(text), "%d", want);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return cryo_fail(e, pid, "oom_score_adj", "write", err,
				 "cannot restore oom_score_adj %d of process %d (it would be %lld; lowering it needs CAP_SYS_RESOURCE)",
				 want, pid, have);
	}
	close(fd);
	return 0;
}

static int restore_membarrier(struct injector *in, uint32_t registered, struct cryo_error *e)
{
	static const struct { uint32_t bit; int cmd; } registrations[] = {
		{ CRYO_MEMBARRIER_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
		{ CRYO_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
		{ CRYO_MEMBARRIER_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
		{ CRYO_MEMBARRIER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED },
	};
	for (size_t i = 0; i < sizeof(registrations) / sizeof(registrations[0]); i++)
		if ((registered & registrations[i].bit) &&
		    remote_attr(in, "membarrier", SYS_membarrier, registrations[i].cmd, 0, 0, 0, NULL, e))
			return -1;
	return 0;
}

/* no_new_privs can only be set: a process that has it and was recorded
 * without (its parent set it after the fork) cannot be made right. */
static int restore_no_new_privs(struct injector *in, uint32_t want, struct cryo_error *e)
{
	long have;
	if (remote_attr(in, "prctl(PR_GET_NO_NEW_PRIVS)", SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, &have, e))
		return -1;
	if (have && !want)
		return cryo_fail(e, in->pid, "no_new_privs", "prctl", EPERM,
				 "process %d had no_new_privs clear, its restored parent has it set: cannot be restored", in->pid);
	if (want && !have)
		return remote_attr(in, "prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, NULL, e);
	return 0;
}

/* Each thread sets its own (the recorded ones were all alike), with the
 * process's own restored limits (RLIMIT_NICE, RLIMIT_RTPRIO) deciding what
 * it may: what the original could set, it can.  What it may not is refused,
 * not warned about: a job at another priority than it had is wrong. */
static int restore_scheduling(struct injector *in, int nr_threads, uint64_t scratch, const struct cryo_proc_attrs *a,
			      struct cryo_error *e)
{
	struct sched_attr0 want = {
		.size = sizeof(want),
		.sched_policy = a->sched_policy,
		.sched_flags = a->sched_flags & (SCHED_FLAG_RESET_ON_FORK_ | SCHED_FLAG_RECLAIM_ | SCHED_FLAG_DL_OVERRUN_),
		.sched_nice = a->sched_nice,
		.sched_priority = a->sched_priority,
		.sched_runtime = a->sched_runtime,
		.sched_deadline = a->sched_deadline,
		.sched_period = a->sched_period,
	}, have;
	if (memory_poke(in->pid, scratch, &want, sizeof(want), e))
		return -1;
	for (int i = 0; i < nr_threads; i++) {
		if (sched_getattr_of(in[i].pid, &have) == 0 && have.sched_policy == want.sched_policy &&
		    have.sched_nice == want.sched_nice && have.sched_priority == want.sched_priority &&
		    have.sched_flags == want.sched_flags && want.sched_policy != SCHED_DEADLINE)
			continue;
		long r;
		if (injector_syscall(&in[i], SYS_sched_setattr, 0, (long)scratch, 0, 0, 0, 0, &r, e))
			return -1;
		if (r < 0)
			return cryo_fail(e, in->pid, "scheduling", "sched_setattr", (int)-r,
					 "cannot restore scheduling policy %s, priority %u, nice %d of process %d",
					 policy_name(want.sched_policy), want.sched_priority, want.sched_nice, in->pid);
	}
	return 0;
}

static int write_own_loginuid(uint32_t want)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%u", want);
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write(fd, text, (size_t)len) == len;
	int err = errno;
	close(fd);
	errno = err;
	return ok ? 0 : -1;
}

/* /proc/self: in a PID namespace of its own, getpid() names another process in this /proc. */
static int read_own_loginuid(uint32_t *out)
{
	char buf[32] = "";
	int fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	*out = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

int process_restore_own_loginuid(const struct snapshot *s, struct cryo_error *e)
{
	uint32_t have;
	if (!s->has_attrs)
		return 0;
	if (read_own_loginuid(&have))
		return cryo_fail_errno(e, (int)s->proc.pid, "loginuid", "read", "cannot read the restarter's loginuid");
	if (have == s->attrs.loginuid)
		return 0;
	if (write_own_loginuid(s->attrs.loginuid))
		return cryo_fail_errno(e, (int)s->proc.pid, "loginuid", "write",
				       "process %d had loginuid %u, the restart's is %u: only root (CAP_AUDIT_CONTROL) may change it",
				       s->proc.pid, s->attrs.loginuid, have);
	return 0;
}

/* A child inherits its loginuid from its restored parent: one of its own
 * (set after that fork) cannot be given back once it runs as its user. */
static int check_loginuid(pid_t pid, const struct snapshot *s, struct cryo_error *e)
{
	long long have;
	if (read_proc_number(pid, "loginuid", &have, e))
		return -1;
	if ((uint32_t)have != s->attrs.loginuid)
		return cryo_fail(e, pid, "loginuid", "", EPERM,
				 "process %d had loginuid %u, it would be restarted with %u: not supported", s->proc.pid,
				 s->attrs.loginuid, (uint32_t)have);
	return 0;
}

/* A thread can only lose capabilities, not gain them: the sets are given
 * back when they are within what the restart left it (root's, usually),
 * and refused when not.  The bounding set went first (process_restore_bounding),
 * then capset, then ambient (each ambient bit needs its permitted and
 * inheritable bits). */
static int restore_thread_capabilities(struct injector *in, uint64_t scratch, const struct cryo_proc_attrs *a,
				       struct cryo_error *e)
{
	struct cap_sets have;
	if (read_cap_sets(in->tgid, in->pid, &have, e))
		return -1;
	if (have.inh == a->cap_inheritable && have.prm == a->cap_permitted && have.eff == a->cap_effective &&
	    have.bnd == a->cap_bounding && have.amb == a->cap_ambient)
		return 0;
	if ((a->cap_permitted & ~have.prm) || (a->cap_bounding & ~have.bnd))
		return cryo_fail(e, in->pid, "capabilities", "capset", EPERM,
				 "process %d had capabilities (permitted %#llx, bounding %#llx) the restart does not have (%#llx, %#llx): refused",
				 in->pid, (unsigned long long)a->cap_permitted, (unsigned long long)a->cap_bounding,
				 (unsigned long long)have.prm, (unsigned long long)have.bnd);
	struct { struct __user_cap_header_struct h; struct __user_cap_data_struct d[2]; } caps = {
		.h = { .version = _LINUX_CAPABILITY_VERSION_3 },
		.d = { { (uint32_t)a->cap_effective, (uint32_t)a->cap_permitted, (uint32_t)a->cap_inheritable },
		       { (uint32_t)(a->cap_effective >> 32), (uint32_t)(a->cap_permitted >> 32),
			 (uint32_t)(a->cap_inheritable >> 32) } },
	};
	if (memory_poke(in->pid, scratch, &caps, sizeof(caps), e) ||
	    remote_attr(in, "capset", SYS_capset, (long)scratch, (long)(scratch + sizeof(caps.h)), 0, 0, NULL, e) ||
	    remote_attr(in, "prctl(PR_CAP_AMBIENT)", SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, NULL, e))
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((a->cap_ambient & (1ULL << cap)) &&
		    remote_attr(in, "prctl(PR_CAP_AMBIENT)", SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, NULL, e))
			return -1;
	return 0;
}

int process_restore_bounding(struct injector *in, int nr_threads, const struct snapshot *s, struct cryo_error *e)
{
	struct cap_sets have;
	if (!s->has_attrs)
		return 0;
	for (int i = 0; i < nr_threads; i++) {
		if (read_cap_sets(in[i].tgid, in[i].pid, &have, e))
			return -1;
		for (int cap = 0; cap < 64; cap++)
			if ((have.bnd & ~s->attrs.cap_bounding) & (1ULL << cap) &&
			    remote_attr(&in[i], "prctl(PR_CAPBSET_DROP)", SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, NULL, e))
				return -1;
	}
	return 0;
}

static int restore_capabilities(struct injector *in, int nr_threads, uint64_t scratch, const struct cryo_proc_attrs *a,
				struct cryo_error *e)
{
	for (int i = 0; i < nr_threads; i++)
		if (restore_thread_capabilities(&in[i], scratch, a, e))
			return -1;
	return 0;
}

int process_restore_attrs(struct injector *in, int nr_threads, uint64_t scratch, const struct snapshot *s,
			  int with_capabilities, struct cryo_error *e)
{
	const struct cryo_proc_attrs *a = &s->attrs;
	if (!s->has_attrs)
		return 0;
	return check_loginuid(in->tgid, s, e) ||
	       remote_attr(in, "prctl(PR_SET_CHILD_SUBREAPER)", SYS_prctl, PR_SET_CHILD_SUBREAPER, a->child_subreaper,
			   0, 0, NULL, e) ||
	       remote_attr(in, "prctl(PR_SET_THP_DISABLE)", SYS_prctl, PR_SET_THP_DISABLE, a->thp_disable, 0, 0, NULL, e) ||
	       restore_membarrier(in, a->membarrier, e) || restore_oom_score_adj(in->tgid, a->oom_score_adj, e) ||
	       restore_no_new_privs(in, a->no_new_privs, e) || restore_scheduling(in, nr_threads, scratch, a, e) ||
	       (with_capabilities && restore_capabilities(in, nr_threads, scratch, a, e)) ? -1 : 0;
}

int process_recorded_pdeathsig(const struct snapshot *s)
{
	return s->has_attrs ? s->attrs.pdeathsig : 0;
}

int process_queue_stop(pid_t pid, const struct snapshot *s, struct cryo_error *e)
{
	if (!s->has_attrs || !s->attrs.stopped)
		return 0;
	if (kill(pid, SIGSTOP) < 0)
		return cryo_fail_errno(e, pid, "process", "kill", "cannot stop process %d again", pid);
	return 0;
}
