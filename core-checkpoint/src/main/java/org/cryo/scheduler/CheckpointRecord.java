package org.cryo.scheduler;

import java.nio.file.Path;

/**
 * One checkpoint of a job, as kept in its catalog.
 *
 * @param jobId    the job
 * @param node     the node the process ran on
 * @param pid      the process checkpointed
 * @param file     the context file
 * @param millis   how long the checkpoint took, as seen by the caller
 */
public record CheckpointRecord(String jobId, String node, long pid, Path file, long millis) {
    /** "job J: checkpointed pid P on NODE to FILE in N ms", the line every command prints for it. */
    public String describe() {
        return "job " + jobId + ": checkpointed pid " + pid + " on " + node + " to " + file + " in " + millis + " ms";
    }
}
