package org.cryo.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * Moving work off a node: drain it so nothing new lands there, then checkpoint and requeue each
 * of its checkpointable jobs; the scheduler starts them elsewhere and cr_run restarts them from
 * their context files on shared storage.  Jobs without a recorded process are left running.
 */
public final class Migration {
    private Migration() {
    }

    /** What happened to each job on the node. */
    public record Outcome(String jobId, CheckpointRecord checkpoint, String skipped) {
    }

    public static List<Outcome> migrate(SchedulerAdapter adapter, String node, String reason) throws SchedulerException {
        adapter.drain(node, reason);
        List<Outcome> outcomes = new ArrayList<>();
        for (JobStatus job : adapter.jobsOn(node)) {
            if (adapter.processes(job.jobId()).isEmpty()) {
                outcomes.add(new Outcome(job.jobId(), null, "not checkpointable (no cr_run process)"));
                continue;
            }
            outcomes.add(new Outcome(job.jobId(), adapter.vacate(job.jobId(), VacateMode.REQUEUE), null));
        }
        return outcomes;
    }
}
