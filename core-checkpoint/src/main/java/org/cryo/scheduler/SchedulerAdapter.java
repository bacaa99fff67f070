package org.cryo.scheduler;

import java.util.List;
import java.util.Optional;

/**
 * One batch system's verbs and state, as Cryo drives it.  An adapter does no workflow of its own:
 * checkpoint, vacate, restart, enable/disable, last error, permissions, locking, the catalog and
 * retention are the core's ({@link JobControl}), the same for every scheduler.  Every adapter
 * documents its mapping table (which scheduler action triggers which Cryo action) and names the
 * scheduler API version it speaks.
 */
public interface SchedulerAdapter {
    /** "slurm", "gridengine", "pbs": its provider's {@link SchedulerAdapterProvider#scheduler()}. */
    String scheduler();

    /** The scheduler API this adapter speaks, e.g. "slurmrestd v0.0.38" or "DRMAA 1.0". */
    String apiVersion();

    /** The job's state; fails with a one-line message for an unknown job (a malformed id: IllegalArgumentException). */
    JobStatus job(String jobId) throws SchedulerException;

    /** The active jobs on {@code node}. */
    List<JobStatus> jobsOn(String node) throws SchedulerException;

    /**
     * Whether {@code user} is one of the scheduler's operators, who may act on every job and
     * node (Slurm: SlurmUser, AdminLevel Operator or Administrator; Grid Engine: managers and
     * operators).  Root and a job's owner need no such answer: the core lets them.
     */
    boolean isOperator(String user) throws SchedulerException;

    /**
     * The scheduler's own proof that {@code process}, which the job's catalog names (the job's
     * user can write it: a claim), is one of the job's processes on {@code process.node()}: throws
     * {@link JobCheckpointer#notTheJobs} otherwise.  Commands on the node go through {@code nodes}.
     * (Slurm: {@code scontrol listpids} and the real uid; Grid Engine: the job's additional group id
     * or process group; PBS: the job's session id.)
     */
    void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException;

    /**
     * The scheduler's own way onto {@code node} for a command of {@code job} (node.exec =
     * scheduler, the default), if it has one and the job allows it; empty: ssh.  Only asked
     * for a node that is not this host.
     */
    default java.util.Optional<NodeEntry> nodeEntry(JobStatus job, String node) throws SchedulerException {
        return java.util.Optional.empty();
    }

    /**
     * The end of a vacate: the job's processes are checkpointed and stopped; give the job back to
     * the queue, eligible at once ({@link VacateMode#REQUEUE}) or held ({@link VacateMode#HOLD}).
     * Throws only if the scheduler did not take the job back: the core then continues the
     * stopped processes and the job runs on.  Waiting for the requeued job to become eligible
     * belongs in {@link #settleRequeued}, which runs once the processes were ended.
     */
    void requeue(JobStatus job, VacateMode mode) throws SchedulerException;

    /**
     * After {@link #requeue} succeeded and the core ended the job's processes: whatever the
     * scheduler needs before the requeued job can start again (Slurm: past COMPLETING, no
     * BeginTime).  A failure here is reported; the job is requeued either way.
     */
    default void settleRequeued(JobStatus job, VacateMode mode) throws SchedulerException {
    }

    /**
     * Between {@link #requeue} and {@link #settleRequeued} of a job moved off a node at risk: keep
     * the job off {@code atRisk} (and off any other node the scheduler knows to be at risk) for
     * good, not only while they are drained, so that a drain lifted early does not bring it
     * back; {@code earlier} is what an earlier call excluded on Cryo's behalf, which may be lifted
     * now (the job's own exclusions never are).  Returns the nodes now excluded on Cryo's behalf
     * (set by then, or by {@link #settleRequeued} where the scheduler needs it so: Slurm).
     * Default: nothing (a drained node is no target anyway).
     */
    default java.util.List<String> excludeNodes(JobStatus job, java.util.List<String> atRisk, java.util.List<String> earlier)
            throws SchedulerException {
        return java.util.List.of();
    }

    /** Let a vacated (held or pending) job run again; it carries on from its latest context file. */
    void release(JobStatus job) throws SchedulerException;

    /**
     * The node's state as the scheduler names it, normalised ({@link NodeState.Kind}), with the
     * reason it records (a drain's reason).  An adapter whose scheduler cannot say answers
     * {@link NodeState.Kind#UNKNOWN}; a scheduler that does not answer throws.
     */
    default NodeState nodeState(String node) throws SchedulerException {
        return NodeState.unknown(node, "the " + scheduler() + " adapter does not read node states");
    }

    /** Take a node out of scheduling (running jobs stay). */
    void drain(String node, String reason) throws SchedulerException;

    /** Put a drained node back into scheduling. */
    void resume(String node) throws SchedulerException;

    /** A node that could take jobs leaving {@code fromNode}, if the scheduler has one. */
    Optional<String> migrationTarget(String fromNode) throws SchedulerException;
}
