/* cryo_check_target and cryo_checkpoint: the order of capture. */
#include "cryo/cryo.h"
#include "chain.h"
#include "cow.h"
#include "dirty.h"
#include "error.h"
#include "eventfds.h"
#include "fdowners.h"
#include "files.h"
#include "image.h"
#include "inject.h"
#include "interrupt.h"
#include "omit.h"
#include "phases.h"
#include "memory.h"
#include "proc.h"
#include "process.h"
#include "resources.h"
#include "signals.h"
#include "snapshot.h"
#include "sysv.h"
#include "threads.h"
#include "seccomp.h"
#include "sessions.h"
#include "timers.h"
#include "tracer.h"

#include <dirent.h>
#include <linux/kcmp.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static const char *user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid %u", uid);
	return buf;
}

static int tracer_pid_of(pid_t pid)
{
	char *buf;
	struct cryo_error ignored;
	int tracer = 0;
	if (proc_read(pid, "status", &buf, NULL, &ignored))
		return 0;
	char *at = strstr(buf, "TracerPid:");
	if (at)
		tracer = atoi(at + 10);
	free(buf);
	return tracer;
}

int cryo_check_target(pid_t pid, struct cryo_error *e)
{
	struct proc_status st;
	char name[64];
	uid_t me = geteuid();

	if (pid <= 0)
		return cryo_fail(e, pid, "process", "", EINVAL, "invalid PID %d", pid);
	if (pid == getpid())
		return cryo_fail(e, pid, "process", "", EINVAL, "Cryo cannot checkpoint itself (PID %d)", pid);
	if (proc_read_status(pid, &st, e)) {
		if (e->err == ENOENT)
			return cryo_fail(e, pid, "process", "", ESRCH, "no such process: %d", pid);
		return -1;
	}
	if (st.tgid != pid)
		return cryo_fail(e, pid, "process", "", EINVAL, "%d is a thread of process %d: checkpoint the process", pid, st.tgid);
	if (me != 0 && (st.uid[0] != me || st.uid[1] != me || st.uid[2] != me))
		return cryo_fail(e, pid, "process", "", EPERM, "permission denied: process %d belongs to %s, not to you",
				 pid, user_name(st.uid[0], name, sizeof(name)));
	if (st.uid[0] != st.uid[1] || st.uid[1] != st.uid[2] || st.gid[0] != st.gid[1] || st.gid[1] != st.gid[2])
		return cryo_fail(e, pid, "process", "", EPERM,
				 "process %d runs set-id (uid %u/%u/%u, gid %u/%u/%u real/effective/saved): refused",
				 pid, st.uid[0], st.uid[1], st.uid[2], st.gid[0], st.gid[1], st.gid[2]);
	/* the kernel hands /proc/PID to root when a process is not dumpable */
	char path[64];
	struct stat pst;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &pst) == 0 && st.uid[1] != 0 && pst.st_uid != st.uid[1])
		return cryo_fail(e, pid, "process", "", EPERM, "process %d is not dumpable: refused", pid);
	if (st.state == 'Z' || st.state == 'X')
		return cryo_fail(e, pid, "process", "", ESRCH, "process %d has exited (zombie)", pid);
	int tracer = tracer_pid_of(pid);
	if (tracer)
		return cryo_fail(e, pid, "process", "", EBUSY, "process %d is being traced by process %d: refused", pid, tracer);
	return process_refuse_seccomp(pid, e);
}

struct proc_capture {
	pid_t pid;
	pid_t *tids;                /* every thread, the leader first */
	int nr_tids;
	struct injector *in;        /* one per thread; in[0] does the process-wide work */
	int nr_prepared;
	uint64_t scratch;           /* scratch memory of thread scratch_thread, 0 if none */
	int scratch_thread;
	int scratch_mapped;         /* a page of its own (no room below the stack pointer) */
	int zombie;
	int was_stopped;            /* job-control stopped (a suspended job): it stays so */
	pid_t ppid;
	struct snapshot *snap;      /* in the tree, once discovery is over */
};

static int refuse_if_not_dumpable(struct proc_capture *c, struct cryo_error *e)
{
	long r;
	if (injector_syscall(&c->in[0], SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0, 0, &r, e))
		return -1;
	if (r != 1)
		return cryo_fail(e, c->pid, "process", "", EPERM, "process %d is not dumpable: refused", c->pid);
	return 0;
}

/* A page of its own, for a thread with no room below its stack pointer:
 * mapped for as long as that thread's calls last. */
static int map_scratch(struct proc_capture *c, int i, struct cryo_error *e)
{
	long r;
	if (injector_call(&c->in[i], "memory", "mmap", "map a scratch page in process", SYS_mmap, 0, 4096,
			  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &r, e))
		return -1;
	c->scratch = (uint64_t)r;
	c->scratch_mapped = 1;
	return 0;
}

/* Scratch memory for the calls of thread i: below its red zone (no mapping
 * added, its bytes put back after), else a page of its own. */
static int scratch_begin(struct proc_capture *c, int i, struct cryo_error *e)
{
	struct cryo_error no_room;
	c->scratch_thread = i;
	c->scratch_mapped = 0;
	if (injector_scratch_begin(&c->in[i], &c->scratch, &no_room) == 0)
		return 0;
	return map_scratch(c, i, e);
}

static int scratch_end(struct proc_capture *c, struct cryo_error *e)
{
	struct injector *in = &c->in[c->scratch_thread];
	long r;
	if (!c->scratch)
		return 0;
	uint64_t at = c->scratch;
	c->scratch = 0;
	return c->scratch_mapped ? injector_syscall(in, SYS_munmap, (long)at, 4096, 0, 0, 0, 0, &r, e)
				 : injector_scratch_end(in, e);
}

static int capture_vdso_identity(struct proc_capture *c, struct cryo_error *e)
{
	for (int i = 0; i < c->snap->nr_vmas; i++) {
		const struct vma_rec *v = &c->snap->vmas[i];
		if (v->r.kind != CRYO_VMA_VDSO)
			continue;
		size_t len = v->r.end - v->r.start;
		void *text = malloc(len);
		if (!text)
			return cryo_fail(e, c->pid, "vdso", "malloc", ENOMEM, "out of memory");
		if (memory_peek(c->pid, v->r.start, text, len, e)) {
			free(text);
			return -1;
		}
		c->snap->proc.vdso_start = v->r.start;
		c->snap->proc.vdso_size = len;
		c->snap->proc.vdso_checksum = XXH3_64bits(text, len);
		free(text);
	}
	return 0;
}

/* Everything that needs the process's own hands.  Thread by thread, each
 * with its scratch memory for no longer than its own calls; the leader also
 * does the process-wide ones. */
static int capture_through_injection(struct proc_capture *c, struct cryo_error *e)
{
	struct snapshot *s = c->snap;
	struct cryo_error ignored;
	s->threads = calloc((size_t)c->nr_tids, sizeof(*s->threads));
	if (!s->threads)
		return cryo_fail(e, c->pid, "process", "malloc", ENOMEM, "out of memory");
	s->nr_threads = c->nr_tids;
	if (refuse_if_not_dumpable(c, e))
		return -1;
	for (int i = 0; i < c->nr_tids; i++) {
		if (interrupt_check(c->pid, e) || scratch_begin(c, i, e))
			return -1;
		int rc = threads_capture(&c->in[i], c->scratch, &s->threads[i], e) ||
			 (i == 0 && (signals_capture_actions(&c->in[0], c->scratch, s, e) ||
				     process_capture(&c->in[0], c->scratch, s, e) ||
				     eventfds_settle_timers(&c->in[0], c->scratch, e) ||
				     timers_capture(&c->in[0], c->scratch, c->tids, c->nr_tids, s, e)));
		if (scratch_end(c, rc ? &ignored : e) || rc)
			return -1;
	}
	s->proc.nr_threads = (uint32_t)c->nr_tids;
	return 0;
}

/* Shared memory the engine cannot open (a user's checkpoint): its resident
 * pages, seen by the process itself (mincore), through a page of scratch. */
static int capture_residency(struct proc_capture *c, struct cryo_error *e)
{
	struct cryo_error ignored;
	if (!memory_needs_residency(c->pid, c->snap))
		return 0;
	c->scratch_thread = 0;
	if (interrupt_check(c->pid, e) || map_scratch(c, 0, e))
		return -1;
	int rc = memory_capture_residency(&c->in[0], c->scratch, 4096, c->snap, e);
	return scratch_end(c, rc ? &ignored : e) || rc ? -1 : 0;
}

static int capture_from_outside(struct proc_capture *c, const char *smaps_before, struct cryo_error *e)
{
	struct snapshot *s = c->snap;
	return signals_capture_pending(c->pid, 1, &s->shared_pending, &s->proc.nr_shared_pending, e) ||
	       memory_capture_mappings(c->pid, s, smaps_before, e) || capture_vdso_identity(c, e) ||
	       files_capture(c->pid, s, e) ? -1 : 0;
}

static int end_signal(const struct cryo_checkpoint_opts *o)
{
	switch (o->end_action) {
	case CRYO_END_STOP: return SIGSTOP;
	case CRYO_END_TERM: return SIGTERM;
	case CRYO_END_KILL: return SIGKILL;
	case CRYO_END_SIGNAL: return o->end_signal;
	default: return 0;
	}
}

/* The process's state letter ('T' stopped), or 0 if it cannot be read. */
static char state_of(pid_t pid)
{
	struct proc_status st;
	struct cryo_error ignored;
	return proc_read_status(pid, &st, &ignored) ? 0 : st.state;
}

/* A SIGSTOP sent once the tracer let go acts when the process next runs: wait
 * (bounded) until it has, so that a stopped process is stopped again when the
 * checkpoint returns, not a moment later. */
static void await_stopped(pid_t pid)
{
	struct timespec ms = { 0, 1000 * 1000 };
	for (int i = 0; i < 2000; i++) {
		char st = state_of(pid);
		if (!st || st == 'T' || st == 'Z' || st == 'X')
			return;
		nanosleep(&ms, NULL);
	}
}

/* Leave the process as it was: its registers, its mask, no tracer. */
static void release(struct proc_capture *c)
{
	struct cryo_error ignored;
	scratch_end(c, &ignored);
	for (int i = 0; i < c->nr_prepared; i++)
		injector_finish(&c->in[i], NULL, &ignored);
	for (int i = 0; i < c->nr_prepared; i++)
		injector_unguard(&c->in[i]);
	for (int i = 0; i < c->nr_tids; i++)
		tracer_detach(c->tids[i], &ignored);
	/* running injected syscalls woke it from its stop: put it back, as it was */
	if (c->was_stopped && c->nr_tids && kill(c->pid, SIGSTOP) == 0)
		await_stopped(c->pid);
	free(c->in);
	free(c->tids);
	/* once is all: a pre-copy round lets go before the page data is written */
	c->in = NULL;
	c->tids = NULL;
	c->nr_tids = c->nr_prepared = 0;
}

/* Freeze every thread and take each one's registers aside. */
static int freeze(struct proc_capture *c, struct cryo_error *e)
{
	if (tracer_seize_threads(c->pid, &c->tids, &c->nr_tids, e))
		return -1;
	c->in = calloc((size_t)c->nr_tids, sizeof(*c->in));
	if (!c->in)
		return cryo_fail(e, c->pid, "threads", "malloc", ENOMEM, "out of memory");
	/* the leader's syscall instruction serves every thread: they share the vdso */
	for (; c->nr_prepared < c->nr_tids; c->nr_prepared++) {
		struct injector *in = &c->in[c->nr_prepared];
		if (c->nr_prepared ? injector_prepare_thread(in, &c->in[0], c->tids[c->nr_prepared], e)
				   : injector_prepare(in, c->pid, 0, e))
			return -1;
		/* a SIGKILL to the engine mid-call then harms no thread; where the
		 * guard cannot be set up the thread's calls run as before */
		injector_guard(in, c->nr_prepared ? &c->in[0] : NULL);
	}
	return 0;
}

/* ---- the tree ---- */

struct capture {
	struct proc_capture *pc;    /* pc[k] is tree.procs[k]: parents before children */
	int nr, cap;
	unsigned save_by_content;   /* CRYO_SAVE_* */
	int group;                  /* a process group or session: every member is checked */
	struct tree tree;
	struct image_writer w;
	const struct cryo_checkpoint_opts *o;
	struct dirty_parent parent;  /* incremental with a parent: its file */
	int has_parent;
	char *smaps_before;         /* the root's smaps, read before the freeze */
	struct smaps_look *look;    /* and read again, frozen, by a thread beside the capture */
	struct dirty_prescan *prescan;  /* and its written pages, read before it too */
	int released;               /* let_go: the processes run again */
};

static int known_process(const struct capture *c, pid_t pid)
{
	for (int i = 0; i < c->nr; i++)
		if (c->pc[i].pid == pid)
			return 1;
	return 0;
}

/* Add pid (a zombie, or frozen here and now) to the tree. */
static int add_process(struct capture *c, pid_t pid, struct cryo_error *e)
{
	if (interrupt_check(pid, e))
		return -1;
	if (c->nr == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		struct proc_capture *grown = realloc(c->pc, (size_t)c->cap * sizeof(*grown));
		if (!grown)
			return cryo_fail(e, pid, "process", "malloc", ENOMEM, "out of memory");
		c->pc = grown;
	}
	struct proc_capture *p = &c->pc[c->nr];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	c->nr++;
	struct proc_status st;
	if (proc_read_status(pid, &st, e))
		return -1;
	p->ppid = st.ppid;
	p->was_stopped = st.state == 'T';
	if ((c->nr > 1 || c->group) && (st.state == 'Z' || st.state == 'X')) {
		p->zombie = 1;
		return 0;
	}
	if ((c->nr > 1 || c->group) && cryo_check_target(pid, e))
		return -1;
	return freeze(p, e);
}

static int add_children_of_omitted(struct capture *c, pid_t pid, struct cryo_error *e);

/* The children of thread tid of pid; a cr_restart among them that
 * --omit-* leaves out gives its own children instead. */
static int add_children_of_thread(struct capture *c, pid_t pid, pid_t tid, struct cryo_error *e)
{
	char name[64], *list;
	snprintf(name, sizeof(name), "task/%d/children", tid);
	if (proc_read(pid, name, &list, NULL, e))
		return -1;
	char *save;
	int rc = 0;
	for (char *tok = strtok_r(list, " \n", &save); tok && !rc; tok = strtok_r(NULL, " \n", &save)) {
		pid_t child = atoi(tok);
		if (child <= 0 || known_process(c, child))
			continue;
		rc = omit_leaves_out(child, 0) ? add_children_of_omitted(c, child, e) : add_process(c, child, e);
	}
	free(list);
	return rc;
}

/* The children of every thread of a frozen process. */
static int add_children(struct capture *c, int k, struct cryo_error *e)
{
	for (int t = 0; t < c->pc[k].nr_tids; t++)
		if (add_children_of_thread(c, c->pc[k].pid, c->pc[k].tids[t], e))
			return -1;
	return 0;
}

/*
 * A cr_restart left out (omit.h) is not frozen: its children are roots of
 * the checkpoint, each checked as a target.  It only waits for them (it
 * forks nothing once its job runs), so its list of children holds still.
 * A zombie child is its to reap, and stays out.
 */
static int add_children_of_omitted(struct capture *c, pid_t pid, struct cryo_error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return cryo_fail_errno(e, pid, "process", "opendir", "cannot list the threads of cr_restart %d", pid);
	int before = c->nr, rc = 0, group = c->group;
	c->group = 1;               /* every child is checked and may be a zombie, as a group's members */
	for (struct dirent *de; !rc && (de = readdir(d));) {
		pid_t tid = atoi(de->d_name);
		if (tid > 0)
			rc = add_children_of_thread(c, pid, tid, e);
	}
	closedir(d);
	c->group = group;
	/* its zombies: not ours to save */
	for (int k = c->nr - 1; !rc && k >= before; k--)
		if (c->pc[k].zombie && c->pc[k].ppid == pid) {
			memmove(&c->pc[k], &c->pc[k + 1], (size_t)(c->nr - k - 1) * sizeof(*c->pc));
			c->nr--;
		}
	return rc;
}

static int index_of_pid(const struct capture *c, pid_t pid)
{
	for (int i = 0; i < c->nr; i++)
		if (c->pc[i].pid == pid)
			return i;
	return -1;
}

/* The members of process group (or session) id not frozen yet are frozen;
 * returns how many, or -1.  A zombie whose parent is not a member is its
 * parent's business and stays out. */
static int add_group_members(struct capture *c, pid_t id, int by_session, struct cryo_error *e)
{
	DIR *d = opendir("/proc");
	int added = 0;
	if (!d)
		return cryo_fail_errno(e, id, "process", "opendir", "cannot list processes");
	for (struct dirent *de; (de = readdir(d));) {
		pid_t pid = atoi(de->d_name);
		struct proc_stat sp;
		struct proc_status st;
		struct cryo_error ignored;
		if (pid <= 0 || pid == getpid() || index_of_pid(c, pid) >= 0 ||
		    proc_read_stat(pid, &sp, &ignored) || (by_session ? sp.sid : sp.pgid) != id ||
		    proc_read_status(pid, &st, &ignored) || omit_leaves_out(pid, pid == id))
			continue;
		if ((st.state == 'Z' || st.state == 'X') && index_of_pid(c, st.ppid) < 0)
			continue;
		if (add_process(c, pid, e)) {
			closedir(d);
			return -1;
		}
		added++;
	}
	closedir(d);
	return added;
}

/* Parents before children, whatever order /proc listed them in. */
static int order_parents_first(struct capture *c, struct cryo_error *e)
{
	struct proc_capture *ordered = malloc((size_t)c->nr * sizeof(*ordered));
	char *placed = calloc((size_t)c->nr, 1);
	int n = 0;
	if (!ordered || !placed) {
		free(ordered);
		free(placed);
		return cryo_fail(e, 0, "process", "malloc", ENOMEM, "out of memory");
	}
	while (n < c->nr)
		for (int i = 0; i < c->nr; i++) {
			int parent = index_of_pid(c, c->pc[i].ppid);
			if (!placed[i] && (parent < 0 || placed[parent])) {
				ordered[n++] = c->pc[i];
				placed[i] = 1;
			}
		}
	/* a root first: the file's first process must be one */
	memcpy(c->pc, ordered, (size_t)c->nr * sizeof(*ordered));
	free(ordered);
	free(placed);
	return 0;
}

static int freeze_group(struct capture *c, pid_t id, int by_session, struct cryo_error *e)
{
	int added;
	c->group = 1;
	/* until a pass finds no new member: one may have forked before it was frozen */
	while ((added = add_group_members(c, id, by_session, e)) > 0)
		;
	if (added < 0)
		return -1;
	if (c->nr == 0)
		return cryo_fail(e, id, "process", "", ESRCH, "no process in %s %d", by_session ? "session" : "process group", id);
	return order_parents_first(c, e);
}

static int make_tree(struct capture *c, pid_t root, struct cryo_error *e)
{
	c->tree.procs = calloc((size_t)c->nr, sizeof(*c->tree.procs));
	if (!c->tree.procs)
		return cryo_fail(e, root, "process", "malloc", ENOMEM, "out of memory");
	c->tree.nr = c->nr;
	for (int k = 0; k < c->nr; k++)
		c->pc[k].snap = &c->tree.procs[k];
	return 0;
}

/* Root first, then breadth first: a process is frozen before its children
 * are listed, so none can be born unseen. */
static int freeze_tree(struct capture *c, pid_t root, int whole_tree, struct cryo_error *e)
{
	if (omit_leaves_out(root, 1)) {
		if (add_children_of_omitted(c, root, e))
			return -1;
		if (c->nr == 0)
			return cryo_fail(e, root, "process", "", ESRCH,
					 "process %d is a cr_restart left out of checkpoints (--omit-*) with no job to checkpoint", root);
	} else if (add_process(c, root, e)) {
		return -1;
	}
	for (int k = 0; whole_tree && k < c->nr; k++)
		if (!c->pc[k].zombie && add_children(c, k, e))
			return -1;
	return make_tree(c, root, e);
}

/* A tree in a PID namespace of its own (cr_run --pid-ns) is restored into a
 * new one: its root must be that namespace's init, and all of it inside. */
static int check_pid_namespaces(const struct tree *t, struct cryo_error *e)
{
	const struct cryo_process *root = &t->procs[0].proc;
	if (root->ns_depth > 1 || (root->ns_depth == 1 && root->ns_pid != 1))
		return cryo_fail(e, root->pid, "process", "", ENOTSUP,
				 "process %d lives in a PID namespace it did not start: checkpoint the namespace's first process",
				 root->pid);
	for (int k = 1; k < t->nr; k++)
		if (t->procs[k].proc.ns_depth != root->ns_depth)
			return cryo_fail(e, t->procs[k].proc.pid, "process", "", ENOTSUP,
					 "process %d started a PID namespace of its own: not supported", t->procs[k].proc.pid);
	return 0;
}

/* Two processes of one address space (a vfork not yet past its exec, or
 * clone(CLONE_VM) without CLONE_THREAD) would come back as two: refuse. */
static int refuse_shared_address_spaces(const struct capture *c, struct cryo_error *e)
{
	for (int a = 0; a < c->nr; a++)
		for (int b = a + 1; b < c->nr; b++)
			if (!c->pc[a].zombie && !c->pc[b].zombie &&
			    syscall(SYS_kcmp, c->pc[a].pid, c->pc[b].pid, KCMP_VM, 0, 0) == 0)
				return cryo_fail(e, c->pc[b].pid, "memory", "", ENOTSUP,
						 "processes %d and %d share one address space (vfork, or CLONE_VM): not supported",
						 c->pc[a].pid, c->pc[b].pid);
	return 0;
}

/* A descriptor table shared by two processes (clone with CLONE_FILES), or
 * a thread with a table of its own (clone without it, unshare(CLONE_FILES)),
 * would come back as one table per process: refuse. */
static int refuse_shared_descriptor_tables(const struct capture *c, struct cryo_error *e)
{
	for (int a = 0; a < c->nr; a++) {
		const struct proc_capture *p = &c->pc[a];
		for (int i = 1; !p->zombie && i < p->nr_tids; i++)
			if (syscall(SYS_kcmp, p->pid, p->tids[i], KCMP_FILES, 0, 0) != 0)
				return cryo_fail(e, p->pid, "files", "", ENOTSUP,
						 "thread %d of process %d has a descriptor table of its own (unshare or clone without CLONE_FILES): not supported",
						 p->tids[i], p->pid);
		for (int b = a + 1; b < c->nr; b++)
			if (!p->zombie && !c->pc[b].zombie && syscall(SYS_kcmp, p->pid, c->pc[b].pid, KCMP_FILES, 0, 0) == 0)
				return cryo_fail(e, c->pc[b].pid, "files", "", ENOTSUP,
						 "processes %d and %d share one descriptor table (CLONE_FILES): not supported",
						 p->pid, c->pc[b].pid);
	}
	return 0;
}

/* Incremental: how the writes since the parent are known, and the tracker
 * for the next checkpoint armed (dirty.h), through thread 0's scratch. */
static int capture_dirty(struct capture *c, struct proc_capture *p, int is_root, struct cryo_error *e)
{
	struct cryo_error ignored;
	if (!c->o->incremental)
		return 0;
	if (interrupt_check(p->pid, e) || scratch_begin(p, 0, e))
		return -1;
	/* killed once saved: a tracker for the next checkpoint would be armed, frozen, for nobody
	 * (a failed checkpoint leaves them running untracked: the next one compares hashes) */
	int arm_next = c->o->end_action != CRYO_END_KILL;
	/* a pre-copy's first round: its pages are all read once it runs again, the protection can wait till then */
	int how = (c->o->rearm_tracker ? DIRTY_KEEP_TRACKER : 0) | (c->o->live_pages && !c->has_parent ? DIRTY_PROTECT_LATER : 0);
	int rc = dirty_begin(&p->in[0], p->scratch, p->snap, is_root, c->has_parent ? &c->parent : NULL, arm_next, how,
			     p->pid == c->o->pid ? c->prescan : NULL, e);
	return scratch_end(p, rc ? &ignored : e) || rc ? -1 : 0;
}

/* The root's frozen look at smaps (but in a pre-copy round, whose flags the
 * last step reads again), once the injected calls are done: a walk of smaps
 * beside them slows each one (the look and the calls take the same locks). */
static int start_look(struct capture *c, struct proc_capture *p)
{
	if (p->pid != c->o->pid || !c->smaps_before || c->o->live_pages)
		return 0;
	if (!(c->look = memory_smaps_look_start(p->pid, p->snap))) {
		free(c->smaps_before);          /* no thread for the look: smaps is read frozen */
		c->smaps_before = NULL;
	}
	return 0;
}

static int capture_all(struct capture *c, struct cryo_error *e)
{
	if (refuse_shared_address_spaces(c, e) || refuse_shared_descriptor_tables(c, e))
		return -1;
	/* again, frozen: no thread can have entered seccomp since the check */
	for (int k = 0; k < c->nr; k++)
		if (!c->pc[k].zombie && (process_refuse_seccomp(c->pc[k].pid, e) ||
					 seccomp_suspend(c->pc[k].pid, c->pc[k].tids, c->pc[k].nr_tids, e)))
			return -1;
	for (int k = 0; k < c->nr; k++) {
		struct proc_capture *p = &c->pc[k];
		if (interrupt_check(p->pid, e))
			return -1;
		p->snap->save_by_content = c->save_by_content;
		if (p->zombie) {
			if (process_capture_zombie(p->pid, p->snap, e))
				return -1;
		} else if (capture_through_injection(p, e) || (phase_done("injected calls, every thread"), 0) ||
			   start_look(c, p) || capture_from_outside(p, p->pid == c->o->pid ? c->smaps_before : NULL, e) || (phase_done("maps, files, signals (from outside)"), 0) ||
			   capture_residency(p, e) || fdowners_capture(&p->in[0], p->snap, e) ||
			   seccomp_capture(p->pid, p->tids, p->nr_tids, p->snap, e) ||
			   (phase_done("residency, fd owners, seccomp"), 0) || capture_dirty(c, p, k == 0, e)) {
			return -1;
		}
		p->snap->attrs.stopped = (uint32_t)p->was_stopped;   /* seen before the freeze */
	}
	if (c->look) {
		struct smaps_look *l = c->look;
		c->look = NULL;
		if (memory_smaps_look_finish(l, e))
			return -1;
		phase_done("maps, frozen look (beside the rest)");
	}
	int rc = check_pid_namespaces(&c->tree, e) || sessions_check_tree(&c->tree, e) || files_link_tree(&c->tree, e) ||
		 resources_capture(&c->tree, e) || cow_capture_tree(&c->tree, e) ? -1 : 0;
	phase_done("tree: sessions, links, resources, cow");
	return rc;
}

/* Every section but the commit's table. */
static int write_image(struct capture *c, uint64_t *page_bytes, uint64_t frozen_at, struct cryo_error *e)
{
	struct snapshot *root = &c->tree.procs[0];
	uint64_t bytes = 0;
	root->info.freeze_ns = 0;
	for (int k = 0; k < c->nr; k++) {
		uint64_t n = 0;
		if (snapshot_write_process(&c->w, &c->tree.procs[k], e) ||
		    memory_capture_pages(c->pc[k].pid, &c->tree.procs[k], &c->w, &n, e) ||
		    (phase_done("pages"), 0) || snapshot_write_pagemap(&c->w, &c->tree.procs[k], e) ||
		    dirty_write_sections(&c->w, &c->tree.procs[k], c->has_parent, e) ||
		    process_sections_write(&c->w, &c->tree.procs[k], e))
			return -1;
		bytes += n;
	}
	root->info.freeze_ns = now_ns() - frozen_at;
	if (c->has_parent && chain_write_parent(&c->w, &c->parent.r, c->o->parent, e))
		return -1;
	if (resources_write(&c->w, &c->tree, e) || snapshot_write_info(&c->w, root, e))
		return -1;
	*page_bytes = bytes;
	phase_done("page map, sections");
	return 0;
}

/*
 * The processes run again once all that is theirs to give is taken: a
 * pre-copy round's before its page data is read, a checkpoint that leaves
 * them running before the file is made durable (a job is not frozen while
 * the disk writes).  A commit that fails after that leaves them as they
 * were, but for the write tracker armed for the next checkpoint, which
 * disarm_released takes back.
 */
static void let_go(struct capture *c, struct cryo_checkpoint_stats *stats, uint64_t frozen_at)
{
	for (int k = c->nr - 1; k >= 0; k--)
		release(&c->pc[k]);
	c->released = 1;
	stats->freeze_ns = now_ns() - frozen_at;
	phase_done("unfreeze");
	phases_end("frozen, in all");
}

/* Where they run on from the freeze to the end of the checkpoint. */
static int runs_on_before_commit(const struct cryo_checkpoint_opts *o)
{
	return o->end_action == CRYO_END_RUNNING && !o->live_pages;
}

/* A checkpoint that failed after let_go: each process with a tracker it armed
 * is stopped again for the one call that closes it, the tracker proven its
 * own first (dirty_disarm).  Best effort: one that cannot be stopped now
 * keeps it, which no checkpoint takes for its parent's (the parent names
 * another), and the next checkpoint replaces. */
static void disarm_released(struct capture *c)
{
	struct cryo_error ignored;
	for (int k = 0; k < c->nr; k++) {
		struct proc_capture *p = &c->pc[k];
		if (p->zombie || !p->snap || !dirty_armed(p->snap))
			continue;
		if (freeze(p, &ignored) == 0 && seccomp_suspend(p->pid, p->tids, p->nr_tids, &ignored) == 0)
			dirty_disarm(&p->in[0], p->snap);
		release(p);
	}
}

static int end_all(struct capture *c, int sig, struct cryo_error *e)
{
	for (int k = 0; k < c->nr; k++)
		if (!c->pc[k].zombie && kill(c->pc[k].pid, sig) < 0)
			return cryo_fail_errno(e, c->pc[k].pid, "process", "kill",
					       "checkpoint written, but cannot send signal %d to %d", sig, c->pc[k].pid);
	return 0;
}

/*
 * Ended by SIGKILL or SIGTERM, the processes are gone when the checkpoint
 * returns: exited, and reaped by their parents, so that their PIDs are free
 * for a restart that follows at once (BLCR's cr_checkpoint --kill did the
 * same).  Each is watched through a pidfd opened while it is still ours
 * (frozen, so its PID cannot be reused meanwhile).  Bounded: a process that
 * handles SIGTERM, or a parent that does not reap, is not ours to wait for.
 */
#define END_WAIT_MS 30000

static void open_pidfds(const struct capture *c, int *fds)
{
	for (int k = 0; k < c->nr; k++)
		fds[k] = c->pc[k].zombie ? -1 : (int)syscall(SYS_pidfd_open, c->pc[k].pid, 0);
}

/* Whether the process behind pidfd fd has ended and been waited for (ESRCH). */
static int reaped(int fd)
{
	return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 && errno == ESRCH;
}

/* A tracee that died under our ptrace is reported to us first: until we collect it, its
 * parent cannot reap it. */
static void collect_dead_tracees(void)
{
	while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
		;
}

static void wait_until_gone(int *fds, int n)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	for (int waited = 0, left = n; left && waited < END_WAIT_MS; waited += 2) {
		collect_dead_tracees();
		left = 0;
		for (int k = 0; k < n; k++) {
			if (fds[k] < 0)
				continue;
			if (reaped(fds[k])) {
				close(fds[k]);
				fds[k] = -1;
			} else {
				left++;
			}
		}
		if (left)
			nanosleep(&nap, NULL);
	}
	for (int k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
}

/*
 * --kill of a tree: a child whose parent dies first becomes PID 1's orphan,
 * and PID 1 may reap it late (on some machines seconds late), which
 * wait_until_gone then waits for.  So the tree ends from its leaves up: the
 * processes one level down from a frozen parent are killed while that parent
 * is still frozen here, and the parent itself reaps them by an injected
 * wait4(WNOHANG); only then does the level above go.  Nothing is waited for
 * that would not be anyway: a level that does not go in time is left to
 * wait_until_gone's bound.
 */

/* The index of k's parent if it is in the tree and frozen here (it can reap k), else -1. */
static int frozen_parent_of(const struct capture *c, int k)
{
	int parent = index_of_pid(c, c->pc[k].ppid);
	return parent >= 0 && !c->pc[parent].zombie && c->pc[parent].nr_prepared ? parent : -1;
}

/* Levels below a root (0: its parent is not frozen here); the tree lists parents first. */
static int levels_of(const struct capture *c, int *level)
{
	int deepest = 0;
	for (int k = 0; k < c->nr; k++) {
		int parent = frozen_parent_of(c, k);
		level[k] = parent >= 0 && parent < k ? level[parent] + 1 : 0;
		if (level[k] > deepest)
			deepest = level[k];
	}
	return deepest;
}

/* The PID by which k's parent knows it: inside their PID namespace (cr_run --pid-ns) if they have one. */
static pid_t pid_seen_by_parent(const struct capture *c, int k)
{
	const struct cryo_process *p = &c->tree.procs[k].proc;
	return p->ns_depth ? p->ns_pid : c->pc[k].pid;
}

/* Whether the process behind pidfd fd has ended and been reaped (its PID is free). */
/* k's frozen parent reaps k if it can now (WNOHANG); a failure leaves k to the bounded wait. */
static void reap_by_parent(const struct capture *c, int k)
{
	long r;
	struct cryo_error ignored;
	struct proc_capture *parent = &c->pc[frozen_parent_of(c, k)];
	injector_syscall(&parent->in[0], SYS_wait4, pid_seen_by_parent(c, k), 0, WNOHANG | __WALL, 0, 0, 0, &r, &ignored);
}

/* Until every killed process of level lv is reaped by its frozen parent, or the bound (*waited_ms
 * of END_WAIT_MS, shared by the levels); a zombie of the level (one its parent had not reaped) goes
 * with them, its PID free for the restart. */
static void reap_level(const struct capture *c, const int *level, int lv, int *fds, int *waited_ms)
{
	struct timespec nap = { 0, 1000 * 1000 };
	for (int k = 0; k < c->nr; k++)
		if (level[k] == lv && c->pc[k].zombie)
			reap_by_parent(c, k);
	for (int left = 1; left && *waited_ms < END_WAIT_MS; ++*waited_ms) {
		collect_dead_tracees();     /* collected, a killed process's zombie is its parent's to reap */
		left = 0;
		for (int k = 0; k < c->nr; k++) {
			if (level[k] != lv || fds[k] < 0)
				continue;
			reap_by_parent(c, k);
			if (reaped(fds[k])) {
				close(fds[k]);
				fds[k] = -1;
			} else {
				left++;
			}
		}
		if (left)
			nanosleep(&nap, NULL);
	}
}

/* SIGKILL to every process, the deepest level first, each level reaped by the one above. */
static int kill_leaves_first(struct capture *c, int *fds, struct cryo_error *e)
{
	int *level = malloc(sizeof(int) * (size_t)c->nr);
	if (!level || !fds) {
		free(level);
		return end_all(c, SIGKILL, e);  /* no memory to order it: as before, PID 1 reaps the orphans */
	}
	int rc = 0, waited_ms = 0;
	for (int lv = levels_of(c, level); lv >= 0 && !rc; lv--) {
		for (int k = 0; k < c->nr && !rc; k++)
			if (level[k] == lv && !c->pc[k].zombie && kill(c->pc[k].pid, SIGKILL) < 0)
				rc = cryo_fail_errno(e, c->pc[k].pid, "process", "kill",
						     "checkpoint written, but cannot send signal %d to %d", SIGKILL, c->pc[k].pid);
		if (lv > 0 && !rc)
			reap_level(c, level, lv, fds, &waited_ms);
	}
	free(level);
	return rc;
}

static void count_incremental(const struct capture *c, struct cryo_checkpoint_stats *stats)
{
	for (int k = 0; c->tree.procs && k < c->tree.nr; k++) {
		const struct snapshot *s = &c->tree.procs[k];
		stats->parent_bytes += dirty_parent_pages(s) * CRYO_PAGE_SIZE;
		stats->tracked += dirty_mode_of(s) == DIRTY_TRACKED;
		stats->hashed += dirty_mode_of(s) == DIRTY_HASHED;
	}
}

/* CRYO_FAULT_SIGNAL_BEFORE_FREEZE=SIG:FILE (tests): before each freeze, once smaps is read
 * (and before a pre-copy's look at its tracker), the process gets SIG and up to 10 s to say
 * by creating FILE that it has acted on it (a madvise of a whole mapping, which its line in
 * maps does not show; a burst of writes), and FILE goes again. */
static void fault_signal_before_freeze(pid_t pid)
{
	const char *v = getenv("CRYO_FAULT_SIGNAL_BEFORE_FREEZE");
	char *file = NULL;
	int sig = v ? (int)strtol(v, &file, 10) : 0;
	if (sig <= 0 || !file || *file != ':' || kill(pid, sig) < 0)
		return;
	for (int i = 0; i < 2000 && unlink(file + 1) < 0; i++)
		usleep(5000);
}

int cryo_checkpoint(const struct cryo_checkpoint_opts *o, struct cryo_checkpoint_stats *stats,
		    struct cryo_error *e)
{
	int *ended = NULL;
	struct capture c = {0};
	uint64_t start = now_ns(), frozen_at, page_bytes = 0, file_size = 0;
	int sig = end_signal(o);
	int rc = -1;

	if (o->pre_copy_rounds > 0 && !o->live_pages)
		return precopy_checkpoint(o, stats, e);
	memset(stats, 0, sizeof(*stats));
	if (sig < 0 || sig > 64)
		return cryo_fail(e, o->pid, "process", "", EINVAL, "invalid signal %d", sig);
	int group = o->scope == CRYO_SCOPE_PGID || o->scope == CRYO_SCOPE_SID;
	if (!group && cryo_check_target(o->pid, e))
		return -1;
	/* the file first: an unwritable directory fails before the process is touched */
	if (iw_open(&c.w, o->path, o->pid, e))
		return -1;
	if (iw_set_replace(&c.w, o->replace, o->backup, e)) {
		iw_abort(&c.w);
		return -1;
	}
	c.w.compress = o->compress;
	c.w.compress_level = o->compress_level;
	c.o = o;
	c.w.no_fsync = o->no_fsync;
	/* the parent checked before anything is frozen */
	if (o->incremental && o->parent) {
		if (dirty_open_parent(&c.parent, o->parent, e)) {
			iw_abort(&c.w);
			return -1;
		}
		c.has_parent = 1;
		c.w.flags |= CRYO_FILE_INCREMENTAL;
		/* by name: the chain records the parent's path, which the commit gives to the new file */
		char parent_real[PATH_MAX], final_real[PATH_MAX];
		if (realpath(o->parent, parent_real) && realpath(c.w.final_path, final_real) &&
		    !strcmp(parent_real, final_real)) {
			cryo_fail(e, o->pid, "context file", "", EINVAL,
				  "the parent %s is the file this checkpoint replaces: the chain would lose it (leave out "
				  "--parent: the old file is then kept as NAME.~N~)", o->parent);
			dirty_close_parent(&c.parent);
			iw_abort(&c.w);
			return -1;
		}
	}
	c.save_by_content = o->save_by_content;
	/* the root's mappings read while it runs: frozen, a look at /proc/PID/maps checks them, and
	 * (but in a pre-copy round) a frozen read of smaps beside the rest of the capture their flags */
	struct cryo_error ignored;
	if (!group && proc_read(o->pid, "smaps", &c.smaps_before, NULL, &ignored))
		c.smaps_before = NULL;
	if (o->live_pages && o->rearm_tracker && !group && c.has_parent)
		c.prescan = dirty_prescan(o->pid, &c.parent);
	fault_signal_before_freeze(o->pid);
	/* last thing before the freeze: a burst of writes since the last round is copied while they run */
	if (o->written_limit && c.has_parent && !group &&
	    dirty_written_bytes(o->pid, &c.parent) > (int64_t)o->written_limit) {
		rc = 1;
		goto not_frozen;
	}
	frozen_at = now_ns();
	phases_begin(o->timing, o->pid, o->live_pages ? "pre-copy round: " : o->parent ? "incremental: " : "");
	if (group ? freeze_group(&c, o->pid, o->scope == CRYO_SCOPE_SID, e) || make_tree(&c, o->pid, e)
		  : freeze_tree(&c, o->pid, o->scope == CRYO_SCOPE_TREE, e))
		goto out;
	phase_done("freeze (seize, prepare threads)");
	if (capture_all(&c, e))
		goto out;
	if (o->live_pages) {
		/* a pre-copy round: the tracker is armed, the processes run while their pages are copied */
		let_go(&c, stats, frozen_at);
		for (int k = 0; k < c.nr; k++)
			if (!c.pc[k].zombie)
				dirty_protect_later(c.pc[k].pid, &c.tree.procs[k]);
		phase_done("tracker armed (running)");
	}
	c.w.durable_after_release = runs_on_before_commit(o);
	if (write_image(&c, &page_bytes, frozen_at, e))
		goto out;
	if (runs_on_before_commit(o))
		let_go(&c, stats, frozen_at);
	if (iw_commit(&c.w, &file_size, e))
		goto out;
	phase_done("commit (table, fsync, link)");
	if (o->live_pages)
		sig = 0;
	if (o->end_action == CRYO_END_HOLD && o->hold)
		sig = o->hold(o->hold_arg);
	if (sig == SIGKILL)
		resources_before_kill(&c.tree);
	if ((sig == SIGKILL || sig == SIGTERM) && (ended = malloc(sizeof(int) * (size_t)c.nr)))
		open_pidfds(&c, ended);
	if (sig == SIGKILL ? kill_leaves_first(&c, ended, e) : sig && end_all(&c, sig, e))
		goto out;
	if (sig)
		phase_done(sig == SIGKILL ? "end signal (leaves first, reaped)" : "end signal");
	/* --cont: the processes that were stopped are to run, not be stopped again as they were */
	for (int k = 0; sig == SIGCONT && k < c.nr; k++)
		c.pc[k].was_stopped = 0;
	rc = 0;
out:
	/* a failed checkpoint leaves no tracker of its own behind */
	for (int k = 0; rc && k < c.nr; k++)
		if (c.pc[k].snap && c.pc[k].nr_prepared)
			dirty_disarm(&c.pc[k].in[0], c.pc[k].snap);
	if (rc && c.released)
		disarm_released(&c);
	count_incremental(&c, stats);
	if (!c.released)
		let_go(&c, stats, frozen_at);
	if (ended) {
		if (rc == 0) {
			wait_until_gone(ended, c.nr);
			phase_done("ended: every process gone");
		} else
			for (int k = 0; k < c.nr; k++)
				if (ended[k] >= 0)
					close(ended[k]);
		free(ended);
	}
not_frozen:
	if (rc)
		iw_abort(&c.w);
	if (c.has_parent)
		dirty_close_parent(&c.parent);
	tree_free(&c.tree);
	memory_smaps_look_cancel(c.look);
	free(c.smaps_before);
	dirty_prescan_free(c.prescan);
	free(c.pc);
	stats->total_ns = now_ns() - start;
	stats->page_bytes = page_bytes;
	stats->file_size = file_size;
	return rc;
}
