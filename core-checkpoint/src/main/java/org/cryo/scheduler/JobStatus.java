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
 * @param workDir      the job's working directory (where its catalog lives by default)
 * @param restartCount how many times it was requeued
 * @param requeueable  whether the scheduler will requeue it
 */
public record JobStatus(String jobId, JobState state, String nativeState, String user, List<String> nodes,
                        Path workDir, int restartCount, boolean requeueable) {
    public JobStatus {
        nodes = List.copyOf(nodes);
    }

    /** "job 12 (RUNNING on vm)" */
    public String describe() {
        return "job " + jobId + " (" + nativeState + (nodes.isEmpty() ? "" : " on " + String.join(",", nodes)) + ")";
    }
}
