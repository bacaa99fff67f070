package org.cryo.slurm;

import java.util.List;
import org.cryo.scheduler.SchedulerException;

/**
 * The part of slurmrestd's API the adapter uses.  One implementation per API version
 * ({@link SlurmApiV0038} for Slurm 22.05), so v0.0.39 to v0.0.41 slot in beside it, as slurmrestd
 * keeps one parser per version.  What no REST version can do (requeue a running job; suspend;
 * drain a node in v0.0.38) is in {@link SlurmCommands}.
 */
public interface SlurmApi {
    /** "v0.0.38" */
    String version();

    /** Checks that slurmrestd answers and the token is accepted; returns the Slurm release ("22.05.8"). */
    String ping() throws SchedulerException;

    /** One job; a one-line error naming the job if Slurm does not know it. */
    SlurmJob job(String jobId) throws SchedulerException;

    /** Every job slurmctld still knows (finished ones for MinJobAge). */
    List<SlurmJob> jobs() throws SchedulerException;

    /** Every node. */
    List<SlurmNode> nodes() throws SchedulerException;

    /** Holds (priority 0) or releases a job. */
    void setHeld(String jobId, boolean held) throws SchedulerException;
}
