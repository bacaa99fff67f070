package org.cryo.slurm;

import java.util.List;
import org.cryo.scheduler.SchedulerException;

/**
 * Slurm's verbs as the adapter asks them ({@link SlurmVerb}), done one way: through one
 * slurmrestd API version ({@link SlurmApi}) or with the commands ({@link SlurmCommands}).
 * {@link SlurmControl} picks the way per verb.
 */
public interface SlurmClient {
    /** Checks that slurmctld answers (and takes the credentials); returns the Slurm release ("24.11.5"). */
    String ping() throws SchedulerException;

    /** A few of slurmctld's statistics. */
    SlurmDiag diag() throws SchedulerException;

    /** One job; a one-line error naming the job if Slurm does not know it. */
    SlurmJob job(String jobId) throws SchedulerException;

    /** Every job slurmctld still knows (finished ones for MinJobAge). */
    List<SlurmJob> jobs() throws SchedulerException;

    /** Every node. */
    List<SlurmNode> nodes() throws SchedulerException;

    /** Holds (priority 0) or releases a job. */
    void setHeld(String jobId, boolean held) throws SchedulerException;

    /** Changes what {@code update} sets, nothing else. */
    void update(String jobId, JobUpdate update) throws SchedulerException;

    /** Drains a node (running jobs stay, nothing new starts there). */
    void drainNode(String node, String reason) throws SchedulerException;

    /** Puts a drained node back into service. */
    void resumeNode(String node) throws SchedulerException;

    /** Requeues a running job, pending ({@code hold} false) or held. */
    void requeue(String jobId, boolean hold) throws SchedulerException;
}
