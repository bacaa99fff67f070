package org.cryo.health;

import java.util.List;

/**
 * What the agent did (or, in dry-run, would have done) about one verdict.
 *
 * @param at       when (ms since the epoch)
 * @param node     the node
 * @param level    the verdict's level
 * @param action   "none", "drain", "evacuate", "requeue" (fail: no checkpoint), "retry"
 * @param reason   the drain reason (names the precursor)
 * @param outcome  "done", "dry-run: would ...", "failed: ... (retry in N s)"
 * @param jobs     per job: what happened to it
 * @param drainedMillis  ms from the verdict to the node drained (-1: not drained)
 */
public record Decision(long at, String node, Level level, String action, String reason, String outcome,
                       List<JobOutcome> jobs, long drainedMillis) {
    public Decision {
        jobs = List.copyOf(jobs);
    }

    /** One job's fate: moved (its context file, the checkpoint's time), skipped, claimed by another agent, failed. */
    public record JobOutcome(String jobId, String outcome, String context, long checkpointMillis, long requeuedMillis) {
    }

    public boolean failed() {
        return outcome.startsWith("failed");
    }
}
