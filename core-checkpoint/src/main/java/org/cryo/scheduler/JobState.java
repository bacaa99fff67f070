package org.cryo.scheduler;

/** A job's state, reduced to what Cryo acts on (each adapter maps its scheduler's states). */
public enum JobState {
    /** Waiting to run (includes a requeued job waiting for its start time). */
    PENDING,
    /** Waiting, and held: it will not start until released. */
    HELD,
    RUNNING,
    /** Stopped by the scheduler (Slurm suspend, SGE qmod -sj, PBS suspend). */
    SUSPENDED,
    /** Completed, failed, cancelled or timed out. */
    FINISHED,
    /** Anything else (completing, configuring, signaling...). */
    OTHER;

    public boolean isActive() {
        return this == RUNNING || this == SUSPENDED;
    }
}
