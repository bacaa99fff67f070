/*
 * BLCR's cr_restart --omit-maybe|always|never: whether a cr_restart that
 * is the parent of the job it restarted is part of a checkpoint of that job.
 * cr_restart says which by holding a memfd named "cryo-omit-MODE" (made
 * once the job runs); the checkpointer looks for it in processes named
 * cr_restart.  A process that fakes the mark only leaves itself out of its
 * own user's checkpoints.
 */
#ifndef CRYO_OMIT_H
#define CRYO_OMIT_H

#include <sys/types.h>

/* Is pid a cr_restart to leave out of this checkpoint?  is_target: pid is
 * what the checkpoint was asked for.  BLCR's rule: --omit-always yes,
 * --omit-never no, --omit-maybe (the default) when it is the target or an
 * orphan (its parent is PID 1). */
int omit_leaves_out(pid_t pid, int is_target);

#endif
