/* Sessions and process groups at restart (see sessions.h). */
#include "sessions.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int led_session(const struct snapshot *s)
{
	return s->proc.sid == s->proc.pid;
}

static int led_group(const struct snapshot *s)
{
	return s->proc.pgid == s->proc.pid;
}

/* A process is born into its parent's session or makes its own: a root
 * (its parent is not in the file, so it is born the restart's child) in a
 * session that another process of the file leads could not be put back in
 * it.  Refused at checkpoint time. */
int sessions_check_tree(const struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		const struct snapshot *leader = tree_find(t, s->proc.sid);
		if (tree_is_root(t, s) && !led_session(s) && leader && leader != s)
			return cryo_fail(e, s->proc.pid, "session", "", ENOTSUP,
					 "process %d is in session %d, led by process %d of the checkpoint, but its parent %d is "
					 "not in the checkpoint: a restart cannot put it back in that session: not supported",
					 s->proc.pid, s->proc.sid, leader->proc.pid, s->proc.ppid);
	}
	return 0;
}

int sessions_restore_leader(struct rexec *x, const struct tree *t, const struct snapshot *s, const struct sessions_opts *o,
			    struct cryo_error *e)
{
	int root = tree_is_root(t, s);
	if (led_session(s) && (!root || o->restore_sid))
		return rexec_call(x, "session", "setsid", SYS_setsid, 0, 0, 0, 0, 0, 0, NULL, e,
				  "cannot lead its session %d again", s->proc.sid);
	if (led_group(s) && (!root || o->restore_pgid))
		return rexec_call(x, "process group", "setpgid", SYS_setpgid, 0, 0, 0, 0, 0, 0, NULL, e,
				  "cannot lead its process group %d again", s->proc.pgid);
	return 0;
}

/* The last number of a "NAME:\t..." line of /proc/PID/status: the id as the
 * innermost PID namespace (the job's) sees it.  0 if not found. */
static pid_t innermost_status_id(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	pid_t id = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		char *last = strrchr(line, '\t');
		id = last ? (pid_t)atoi(last + 1) : 0;
		break;
	}
	fclose(f);
	return id;
}

/* The process of the tree whose group process k must share: the group's
 * leader when it is in the file, else its first member; -1 if none. */
static int group_anchor(const struct tree *t, int k)
{
	pid_t g = t->procs[k].proc.pgid;
	const struct snapshot *leader = tree_find(t, g);
	if (leader)
		return (int)(leader - t->procs);
	for (int j = 0; j < t->nr; j++)
		if (t->procs[j].proc.pgid == g)
			return j;
	return -1;
}

static const struct snapshot *parent_of(const struct tree *t, const struct snapshot *s)
{
	return tree_find(t, s->proc.ppid);
}

/* The group process k is to be in now (as the job sees it), or 0: stays as it is. */
static pid_t group_to_join(const struct tree *t, const pid_t *pids, int k)
{
	const struct snapshot *s = &t->procs[k];
	int root = tree_is_root(t, s);
	if (led_group(s))
		return 0;                                  /* made by the earlier steps, or not asked for */
	int a = group_anchor(t, k);
	if (a != k)
		return innermost_status_id(pids[a], "NSpgid");
	if (root)
		return 0;                                  /* led outside the file: the restart's, as in BLCR */
	const struct snapshot *parent = parent_of(t, s);
	if (parent && parent->proc.pgid == s->proc.pgid)
		return innermost_status_id(pids[parent - t->procs], "NSpgid");
	/* its leader is gone and no root brings the group in: the members keep together, under a new id */
	fprintf(stderr, "cryo-engine restore: warning: process group %d of process %d had no leader in the checkpoint; "
		"its members come back in a group led by process %d\n", s->proc.pgid, s->proc.pid, s->proc.pid);
	return innermost_status_id(pids[k], "NSpid");
}

static int join_group(struct injector *in, pid_t pid, pid_t group, const struct snapshot *s, struct cryo_error *e)
{
	pid_t self = innermost_status_id(pid, "NSpid");
	struct rexec x;
	rexec_injected(&x, in, 0);          /* (no pointer arguments) */
	return rexec_call(&x, "process group", "setpgid", SYS_setpgid, 0, group == self ? 0 : group, 0, 0, 0, 0, NULL, e,
			  "cannot join its process group again (%d, recorded %d)", group, s->proc.pgid);
}

/* A process can only be born into its parent's session or make its own: one
 * that was in a session its parent (or, for a root, the restart) was not in,
 * without leading it, comes back in its parent's.  Said, not refused. */
static void say_session_not_had(const struct tree *t, const struct snapshot *s, const struct sessions_opts *o)
{
	if (led_session(s))
		return;
	const struct snapshot *parent = parent_of(t, s);
	if (parent && parent->proc.sid != s->proc.sid)
		fprintf(stderr, "cryo-engine restore: warning: process %d was in session %d, which its parent %d was not in; "
			"it comes back in its parent's\n", s->proc.pid, s->proc.sid, parent->proc.pid);
	else if (!parent && tree_find(t, s->proc.sid) && o->restore_sid)     /* a file from before sessions_check_tree */
		fprintf(stderr, "cryo-engine restore: warning: process %d was in session %d, led by another process of the "
			"checkpoint; it comes back in the restart's session\n", s->proc.pid, s->proc.sid);
}

int sessions_join_groups(const struct tree *t, const pid_t *pids, struct injector **ins,
			 const struct sessions_opts *o, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		say_session_not_had(t, s, o);
		pid_t want = group_to_join(t, pids, k);
		if (!want || want == innermost_status_id(pids[k], "NSpgid"))
			continue;
		if (!ins[k]) {
			fprintf(stderr, "cryo-engine restore: warning: zombie %d comes back in its parent's process group, "
				"not in group %d\n", pids[k], s->proc.pgid);
			continue;
		}
		if (join_group(ins[k], pids[k], want, s, e))
			return -1;
	}
	return 0;
}

int sessions_groups_to_join(const struct tree *t)
{
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k], *parent = parent_of(t, s);
		if (led_group(s))
			continue;
		if (parent ? parent->proc.pgid != s->proc.pgid : group_anchor(t, k) != k)
			return 1;
	}
	return 0;
}

void sessions_say_new_ids(const struct tree *t, const pid_t *pids, int pids_restored)
{
	if (pids_restored)
		return;
	for (int k = 0; k < t->nr; k++) {
		const struct snapshot *s = &t->procs[k];
		if (!led_session(s) && !led_group(s))
			continue;
		fprintf(stderr, "cryo-engine restore: notice: with new PIDs the job's session and process group ids are new too "
			"(process %d, session %d, group %d, was %d, %d, %d)\n",
			pids[k], innermost_status_id(pids[k], "NSsid"), innermost_status_id(pids[k], "NSpgid"),
			s->proc.pid, s->proc.sid, s->proc.pgid);
		return;
	}
}
