package org.cryo.slurm;

import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;

/**
 * A job as slurmrestd describes it (the fields the adapter needs).
 *
 * @param jobState Slurm's state name: PENDING, RUNNING, SUSPENDED, COMPLETED, CANCELLED, ...
 * @param reason   Slurm's state reason: None, BeginTime, JobHeldAdmin, JobHeldUser, ...
 * @param nodes    the expanded node list
 */
public record SlurmJob(String jobId, String jobState, String reason, String user, List<String> nodes,
                       String workDir, int restartCount, boolean requeue, long priority) {

    public boolean isHeld() {
        return "PENDING".equals(jobState) && (priority == 0 || reason.startsWith("JobHeld")
                || reason.equals("job_requeued_in_held_state"));
    }

    /** Slurm's states mapped onto the SPI's. */
    public JobState state() {
        if (isHeld()) {
            return JobState.HELD;
        }
        return switch (jobState) {
            case "PENDING", "REQUEUED" -> JobState.PENDING;
            case "RUNNING" -> JobState.RUNNING;
            case "SUSPENDED", "STOPPED" -> JobState.SUSPENDED;
            case "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                 "DEADLINE", "OUT_OF_MEMORY" -> JobState.FINISHED;
            default -> JobState.OTHER;
        };
    }

    /**
     * The SPI's view, the catalog where the job's cr_run puts it ({@link SlurmCatalogLocation}).
     */
    public JobStatus status(Map<String, String> environment) {
        return new JobStatus(jobId, state(), isHeld() ? jobState + "," + reason : jobState, user, nodes,
                SlurmCatalogLocation.root(environment, workDir),
                Integer.toString(restartCount), requeue);
    }
}
