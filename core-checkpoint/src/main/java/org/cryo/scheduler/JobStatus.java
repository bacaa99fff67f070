package org.cryo.scheduler;

import java.nio.file.Path;
import java.util.List;

/**
 * What the scheduler says about a job.
 *
 * @param jobId        the scheduler's job id
 * @param state        the job's state
 * @param nativeState  the scheduler's own state name, for messages ("RUNNING", "r", "R")
 * @param user         the owner's user name
 * @param nodes        the nodes it runs on (empty unless active)
 * @param catalogRoot  the root of the job's catalog (its provider decides: see {@link BatchJob#catalogRoot})
 * @param run          the current run's id ({@link JobRun#id()}; "" if the scheduler does not name runs)
 * @param requeueable  whether the scheduler will give the job back to the queue after a vacate
 */
public record JobStatus(String jobId, JobState state, String nativeState, String user, List<String> nodes,
                        Path catalogRoot, String run, boolean requeueable) {
    public JobStatus {
        nodes = List.copyOf(nodes);
    }

    /** "job 12 (RUNNING on vm)" */
    public String describe() {
        return "job " + jobId + " (" + nativeState + (nodes.isEmpty() ? "" : " on " + String.join(",", nodes)) + ")";
    }
}
