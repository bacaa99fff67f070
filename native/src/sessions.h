/*
 * Sessions and process groups at restart: the structure the tree had comes
 * back.  A process that led its session leads one again (setsid), one that led
 * its process group leads one again (setpgid(0, 0)), and every other member
 * of a group joins the group of its leader (or of the group's first member
 * when the leader is not in the file).  With PIDs restored the ids are the
 * recorded ones.  For the roots, whose parent is the restart, this is what
 * --restore-sid and --restore-pgid choose (both on by default).
 *
 * Two steps: every process (a root on itself before it is taken over, a
 * forked child or zombie by injection), before it has children of its own,
 * leads what it led (sessions_restore_leader); once the whole tree exists,
 * the members of groups led elsewhere in the tree join them
 * (sessions_join_groups).
 */
#ifndef CRYO_SESSIONS_H
#define CRYO_SESSIONS_H

#include <sys/types.h>
#include "cryo/cryo.h"
#include "inject.h"
#include "rexec.h"
#include "snapshot.h"

struct sessions_opts {
	int restore_sid;            /* a root that led its session leads it again */
	int restore_pgid;           /* a root that led its process group leads it again */
	int verbose;
};

/* At checkpoint time: refuse a root of the file in a session another
 * process of the file leads (it could only come back in another). */
int sessions_check_tree(const struct tree *t, struct cryo_error *e);

/* In process s (a root: as o says; o is not looked at for the others): its
 * own session or process group, when it led one. */
int sessions_restore_leader(struct rexec *x, const struct tree *t, const struct snapshot *s, const struct sessions_opts *o,
			    struct cryo_error *e);
/* The whole tree built (pids[k]: process k as the restorer sees it; ins[k]:
 * its leader thread's injector, NULL for a zombie): every process that was a
 * member of a group led by another joins it.  What cannot be had (a group
 * whose leader is not in the file and that no root inherits, a member in
 * another session) is said in one line on stderr, never an error. */
int sessions_join_groups(const struct tree *t, const pid_t *pids, struct injector **ins,
			 const struct sessions_opts *o, struct cryo_error *e);
/* Does any process of t have to join its group once the whole tree exists
 * (a group led by another process, not its parent's)?  If not, nothing of
 * sessions_join_groups injects anything, and each process can be finished
 * (its registers set) as soon as it is built. */
int sessions_groups_to_join(const struct tree *t);
/* After the release: with new PIDs the ids are new too, say so (one line). */
void sessions_say_new_ids(const struct tree *t, const pid_t *pids, int pids_restored);

#endif
