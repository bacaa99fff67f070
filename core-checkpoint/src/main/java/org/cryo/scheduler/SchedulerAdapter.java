package org.cryo.scheduler;

import java.util.List;
import java.util.Optional;

/**
 * One batch system, as Cryo drives it.  Every adapter documents which scheduler action triggers
 * which of these (its mapping table) and names the scheduler API version it speaks.
 *
 * <p>Checkpoints run on the node that holds the job; adapters do that through
 * {@link JobCheckpointer}, so only the scheduler-specific steps (state, requeue, hold, drain)
 * are theirs.
 */
public interface SchedulerAdapter {
    /** "slurm", "gridengine", "pbs". */
    String scheduler();

    /** The scheduler API this adapter speaks, e.g. "slurmrestd v0.0.38" or "DRMAA 1.0". */
    String apiVersion();

    /** The job's state; fails with a one-line message for an unknown job. */
    JobStatus job(String jobId) throws SchedulerException;

    /** The active jobs on {@code node}. */
    List<JobStatus> jobsOn(String node) throws SchedulerException;

    /** The job's checkpointable process(es) as recorded by cr_run; empty if it has none. */
    List<JobProcess> processes(String jobId) throws SchedulerException;

    /** Checkpoint the job and let it run on (Slurm 19.05 {@code checkpoint create}, Torque {@code qchkpt}). */
    CheckpointRecord checkpoint(String jobId) throws SchedulerException;

    /**
     * Checkpoint the job, end its process, and give it back to the queue: eligible at once
     * ({@link VacateMode#REQUEUE}) or held until {@link #restart} ({@link VacateMode#HOLD}).
     */
    CheckpointRecord vacate(String jobId, VacateMode mode) throws SchedulerException;

    /** Let a vacated job run again; it carries on from its latest context file. */
    void restart(String jobId) throws SchedulerException;

    /** Take a node out of scheduling (running jobs stay). */
    void drain(String node, String reason) throws SchedulerException;

    /** Put a drained node back into scheduling. */
    void resume(String node) throws SchedulerException;

    /** A node that could take jobs leaving {@code fromNode}, if the scheduler has one. */
    Optional<String> migrationTarget(String fromNode) throws SchedulerException;
}
