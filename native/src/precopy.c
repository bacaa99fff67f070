/*
 * Pre-copy (cr_checkpoint --pre-copy[=ROUNDS]): memory is copied while the
 * processes run, and they are frozen at the end only for the pages they
 * wrote meanwhile and for their other state.
 *
 * Rounds stop early once one copies under 2 MiB, or not clearly less than
 * the one before (the processes write faster than it copies).  Just before
 * the last freeze the tracker is looked at once more: a burst written since
 * the last round (over LAST_STOP_BYTES) takes one more round, while rounds
 * are left, rather than being copied frozen.  The step
 * files are not flushed to disk (the merged file is), nor is the last one
 * unless the processes are to end once it is written.
 *
 * Built from incremental checkpoints (dirty.h, chain.h): round 1 freezes
 * the tree just long enough to read its state and arm the write tracker,
 * lets it go and writes its pages as it runs (a full file); each further
 * round does the same as an incremental file on the round before (the pages
 * written during that copy); the last checkpoint is an ordinary frozen one,
 * incremental on the last round: only the pages written since are read
 * while frozen.  The rounds are then merged into the file asked for (a full
 * file; with --incremental and a parent, the first round is incremental on
 * it and so is the merged file), and the round files, hidden beside it
 * (.NAME.cryo-precopy-K), go.
 * A page torn by a write during a round is written again by the next one:
 * the tracker saw that write.
 *
 * Round 1 arms the tracker; every later step keeps it and write-protects
 * again what it read (rearm_tracker: the round files are this pre-copy's
 * own, no other checkpoint takes one as its parent).  The frozen time
 * reported is every stop's, the rounds' and the last one's.
 */
#include "cryo/cryo.h"
#include "chain.h"
#include "error.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 16
/* A round that copies less than this, or not clearly less than the round
 * before (the processes write faster than it copies), is the last. */
#define CONVERGED_BYTES (2u << 20)
#define SHRINK_PERCENT  80
/* The last, frozen step copies at most this much that was written since
 * the last round (the tracker is looked at just before the freeze); more,
 * and a round left of the ROUNDS asked for copies it first while the
 * processes run (a process that writes in bursts: one landed after the
 * round that looked converged). */
#define LAST_STOP_BYTES (4u << 20)

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* DIR/.NAME.cryo-precopy-K beside the final name (-f DIR: DIR/context.PID). */
static int round_path(const struct cryo_checkpoint_opts *o, int k, char *out, size_t size)
{
	char final[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	struct stat st;
	if (stat(o->path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(final, sizeof(final), "%s/context.%d", o->path, o->pid);
	else
		snprintf(final, sizeof(final), "%s", o->path);
	snprintf(dir, sizeof(dir), "%s", final);
	snprintf(base, sizeof(base), "%s", final);
	return snprintf(out, size, "%s/.%s.cryo-precopy-%d", dirname(dir), basename(base), k) >= (int)size ? -1 : 0;
}

static void remove_rounds(const struct cryo_checkpoint_opts *o, int upto)
{
	char path[PATH_MAX];
	for (int k = 1; k <= upto; k++)
		if (!round_path(o, k, path, sizeof(path)))
			unlink(path);
}

/* Round k while the processes run: a file incremental on the round before (on o->parent, the first). */
static int run_round(const struct cryo_checkpoint_opts *o, char paths[][PATH_MAX], int k,
		     struct cryo_checkpoint_stats *st, struct cryo_error *e)
{
	struct cryo_checkpoint_opts r = *o;
	r.path = paths[k];
	r.incremental = 1;
	r.parent = k == 1 ? o->parent : paths[k - 1];
	r.live_pages = 1;
	r.pre_copy_rounds = 0;
	r.end_action = CRYO_END_RUNNING;
	r.replace = CRYO_REPLACE_ATOMIC;
	r.backup = NULL;
	r.no_fsync = 1;
	r.rearm_tracker = k > 1;
	return cryo_checkpoint(&r, st, e);
}

int precopy_checkpoint(const struct cryo_checkpoint_opts *o, struct cryo_checkpoint_stats *stats, struct cryo_error *e)
{
	char paths[MAX_ROUNDS + 2][PATH_MAX];
	struct cryo_checkpoint_stats st;
	uint64_t start = now_ns();
	int rounds = o->pre_copy_rounds > MAX_ROUNDS ? MAX_ROUNDS : o->pre_copy_rounds, done = 0, rc;
	uint64_t copied_before = 0, rounds_frozen = 0;

	memset(stats, 0, sizeof(*stats));
	for (int k = 1; k <= MAX_ROUNDS + 1; k++)
		if (round_path(o, k, paths[k], sizeof(paths[k])))
			return cryo_fail(e, o->pid, "context file", "", ENAMETOOLONG, "context file name too long: %s", o->path);
	/* the rounds, while the processes run */
	for (int k = 1; k <= rounds; k++) {
		if (run_round(o, paths, k, &st, e)) {
			remove_rounds(o, k);
			return -1;
		}
		done = k;
		rounds_frozen += st.freeze_ns;
		if (k > 1 && (st.page_bytes < CONVERGED_BYTES || st.page_bytes * 100 >= copied_before * SHRINK_PERCENT))
			break;
		copied_before = st.page_bytes;
	}
	/* frozen: what they wrote since the last round, and all the rest of their state; unless they
	 * wrote more than a round's worth since (a burst), which one more round copies as they run */
	for (;;) {
		struct cryo_checkpoint_opts f = *o;
		f.path = paths[done + 1];
		f.incremental = 1;
		f.parent = paths[done];
		f.pre_copy_rounds = 0;
		f.replace = CRYO_REPLACE_ATOMIC;
		f.backup = NULL;
		f.rearm_tracker = 1;
		f.written_limit = done < rounds ? LAST_STOP_BYTES : 0;
		/* durable before the processes end; if they run on, the merged file's fsync is the one that counts */
		f.no_fsync = o->end_action == CRYO_END_RUNNING || o->end_action == CRYO_END_STOP;
		rc = cryo_checkpoint(&f, &st, e);
		if (rc == 1) {
			if (run_round(o, paths, done + 1, &st, e)) {
				remove_rounds(o, done + 1);
				return -1;
			}
			done++;
			rounds_frozen += st.freeze_ns;
			continue;
		}
		if (rc) {
			remove_rounds(o, done + 1);
			return -1;
		}
		break;
	}

	*stats = st;
	stats->pre_copy_rounds = done;
	stats->last_freeze_ns = st.freeze_ns;
	stats->freeze_ns = rounds_frozen + st.freeze_ns;
	/* the chain becomes the file asked for, the rounds merged: a full file, or with a parent
	 * (--incremental) one on that parent, as without --pre-copy; kept if that fails (the
	 * processes may be gone) */
	if (chain_compact_onto(paths[done + 1], o->parent ? done + 1 : 0, o->path, o->replace, o->backup,
			       &stats->file_size, e))
		return cryo_fail(e, o->pid, "context file", "", e->err,
				 "%s (the checkpoint is complete as the chain ending in %s)", e->msg, paths[done + 1]);
	remove_rounds(o, done + 1);
	stats->total_ns = now_ns() - start;
	return 0;
}
