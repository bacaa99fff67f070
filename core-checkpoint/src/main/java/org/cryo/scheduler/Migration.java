package org.cryo.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * Moving work off a node: drain it so nothing new lands there, then checkpoint and requeue each
 * of its checkpointable jobs; the scheduler starts them elsewhere and cr_run restarts them from
 * their context files on shared storage.  Jobs without a recorded process are left running, and
 * so are jobs whose checkpoint fails (each is reported; the others still move).
 */
public final class Migration {
    private Migration() {
    }

    /**
     * What happened to each job on the node: checkpointed and requeued ({@code checkpoint}), left
     * alone because it is not checkpointable ({@code skipped}), or left running because its
     * checkpoint or requeue failed ({@code error}; a failed vacate leaves the job as it was).
     */
    public record Outcome(String jobId, CheckpointRecord checkpoint, String skipped, String error) {
        public boolean failed() {
            return error != null;
        }
    }

    public static List<Outcome> migrate(JobControl jobs, String node, String reason) throws SchedulerException {
        return migrate(jobs, node, reason, JobMove.Reason.MIGRATED);
    }

    /** {@link #migrate(JobControl, String, String)}, each move recorded with {@code why} (a node agent's: health). */
    public static List<Outcome> migrate(JobControl jobs, String node, String reason, JobMove.Reason why)
            throws SchedulerException {
        jobs.adapter().drain(node, reason);
        List<Outcome> outcomes = new ArrayList<>();
        for (JobStatus job : jobs.adapter().jobsOn(node)) {
            if (jobs.processes(job.jobId()).isEmpty()) {
                outcomes.add(new Outcome(job.jobId(), null, "not checkpointable (no cr_run process)", null));
                continue;
            }
            // One job that cannot be checkpointed must not keep the node's other jobs on it.
            try {
                outcomes.add(new Outcome(job.jobId(), jobs.vacate(job.jobId(), VacateMode.REQUEUE, why), null, null));
            } catch (SchedulerException e) {
                outcomes.add(new Outcome(job.jobId(), null, null, e.getMessage()));
            }
        }
        return outcomes;
    }
}
