package org.cryo.slurm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeEntry;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * Cryo's Slurm adapter: Slurm's verbs and state only, each through slurmrestd where the API
 * version in use has it and through {@code scontrol} otherwise ({@link SlurmControl},
 * {@link RestVersion}); the proof that a PID is the job's through {@code scontrol listpids}
 * ({@link SlurmProcessProof}); operators from SlurmUser and the accounting's admin levels
 * ({@link SlurmOperators}).  The workflows are the core's ({@link org.cryo.scheduler.JobControl}).
 * The mapping of Slurm actions to these is in plugin-slurm/README.md.
 */
public final class SlurmAdapter implements SchedulerAdapter {
    /** How long a requeued job may take to finish its old run and become eligible again. */
    private static final long ELIGIBLE_WAIT_MILLIS = 60_000;
    /** slurm.srun in cryo.conf. */
    public static final String SRUN_VARIABLE = "CRYO_SRUN";

    private final SlurmControl slurm;
    private final SlurmProcessProof proof;
    private final SlurmOperators operators;
    private final Map<String, String> environment;

    SlurmAdapter(SlurmControl slurm, SlurmProcessProof proof, Map<String, String> environment) {
        this.slurm = slurm;
        this.proof = proof;
        this.operators = new SlurmOperators(slurm.commands());
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String scheduler() {
        return SlurmAdapterProvider.NAME;
    }

    @Override
    public String apiVersion() {
        return slurm.describe();
    }

    /** Slurm's verbs, each through REST or scontrol as the version in use allows. */
    public SlurmControl slurm() {
        return slurm;
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return slurm.job(validJobId(jobId)).status(environment);
    }

    @Override
    public List<JobStatus> jobsOn(String node) throws SchedulerException {
        List<JobStatus> jobs = new ArrayList<>();
        for (SlurmJob job : slurm.jobs()) {
            JobStatus status = job.status(environment);
            if (status.state().isActive() && status.nodes().contains(node)) {
                jobs.add(status);
            }
        }
        return jobs;
    }

    @Override
    public boolean isOperator(String user) throws SchedulerException {
        return operators.isOperator(user);
    }

    /**
     * {@code srun --jobid=JOB --overlap} onto the node: a step of the job itself, which the job's
     * owner may start (no ssh), in the job's cgroup, beside its running steps (--overlap: it
     * takes none of their CPUs).  Only the owner may add a step (Slurm 22.05 refuses root:
     * "Access/permission denied"), so root switches to the owner first, and the step runs as
     * the owner.  {@code slurm.srun} ({@code $CRYO_SRUN}) names the srun (a command prefix; default srun).
     */
    @Override
    public Optional<NodeEntry> nodeEntry(JobStatus job, String node) {
        return Optional.of(srunInto(environment.getOrDefault(SRUN_VARIABLE, "srun"), job, node,
                "root".equals(System.getProperty("user.name"))));
    }

    /** The srun entry that runs one task of a command as a step of {@code job} on {@code node}. */
    static NodeEntry srunInto(String srun, JobStatus job, String node, boolean callerIsRoot) {
        List<String> prefix = new ArrayList<>();
        if (callerIsRoot && !"root".equals(job.user())) {
            prefix.addAll(List.of("runuser", "-u", job.user(), "--"));
        }
        prefix.addAll(List.of(srun.strip().split("\\s+")));
        prefix.addAll(List.of("--jobid=" + validJobId(job.jobId()), "--overlap", "--nodelist=" + node, "--nodes=1",
                "--ntasks=1", "--job-name=cryo-checkpoint", "--quiet", "--"));
        return new NodeEntry(prefix, true, Map.of());
    }

    @Override
    public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        proof.prove(job, process, nodes);
    }

    /**
     * {@code scontrol requeue} (then made eligible at once: see {@link #makeEligibleNow}) or
     * {@code scontrol requeuehold}: no REST version up to v0.0.42 has a requeue.
     */
    @Override
    public void requeue(JobStatus job, VacateMode mode) throws SchedulerException {
        slurm.requeue(job.jobId(), mode == VacateMode.HOLD);
    }

    /** A requeued job waits out COMPLETING (its processes ending) and Slurm's BeginTime. */
    @Override
    public void settleRequeued(JobStatus job, VacateMode mode) throws SchedulerException {
        if (mode == VacateMode.REQUEUE) {
            makeEligibleNow(job.jobId());
        }
    }

    /** A held job is released; either way it may start at once. */
    @Override
    public void release(JobStatus job) throws SchedulerException {
        if (job.state() == JobState.HELD) {
            slurm.setHeld(job.jobId(), false);
        }
        makeEligibleNow(job.jobId());
    }

    /** {@code scontrol -o show node NODE} (slurmrestd's node states vary by API version; scontrol's do not). */
    @Override
    public org.cryo.scheduler.NodeState nodeState(String node) throws SchedulerException {
        if (node == null || !node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("invalid Slurm node name '" + org.cryo.api.SafeText.escape(String.valueOf(node)) + "'");
        }
        return slurm.commands().nodeState(node);
    }

    @Override
    public void drain(String node, String reason) throws SchedulerException {
        slurm.drainNode(node, reason);
    }

    @Override
    public void resume(String node) throws SchedulerException {
        // Slurm refuses RESUME for a node that is not drained ("Invalid node state specified").
        boolean drained = slurm.nodes().stream().anyMatch(n -> n.name().equals(node) && n.drained());
        if (drained) {
            slurm.resumeNode(node);
        }
    }

    /** The usable node with the most free CPUs, other than {@code fromNode}. */
    @Override
    public Optional<String> migrationTarget(String fromNode) throws SchedulerException {
        return slurm.nodes().stream()
                .filter(node -> !node.name().equals(fromNode) && node.canTakeJobs())
                .max(Comparator.comparingInt(node -> node.cpus() - node.allocatedCpus()))
                .map(SlurmNode::name);
    }

    /**
     * A requeued job gets BeginTime = end of its old run + cred_expire + 1 s (AuthInfo, default
     * 120 s), set when that run has finished completing.  StartTime=now must come after that, and
     * not in the same second as the credential revoke of the old run (slurmctld then kills the new
     * launch, "Job credential revoked", and the job fails): so wait until the job is PENDING,
     * pause 2 s, then set StartTime=now, repeating until it no longer waits for its BeginTime.
     */
    private void makeEligibleNow(String jobId) throws SchedulerException {
        long deadline = System.currentTimeMillis() + ELIGIBLE_WAIT_MILLIS;
        boolean settled = false;
        do {
            SlurmJob job = slurm.job(jobId);
            if (job.jobState().equals("COMPLETING")) {
                pause(250);
                continue;
            }
            if (!job.reason().equals("BeginTime")) {
                return;   // eligible (or started, held, ...): nothing to do
            }
            if (!settled) {
                pause(2000);
                settled = true;
            }
            slurm.update(jobId, JobUpdate.startNow());
            pause(250);
        } while (System.currentTimeMillis() < deadline);
        throw new SchedulerException("job " + jobId + " was requeued but still waits for its BeginTime");
    }

    private static void pause(long millis) throws SchedulerException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
    }

    /** Slurm job ids are numbers (array tasks: 12_3); anything else is a usage error, not a REST path. */
    static String validJobId(String jobId) {
        if (jobId == null || !jobId.matches("\\d+(_\\d+)?")) {
            throw new IllegalArgumentException("invalid Slurm job id '" + org.cryo.api.SafeText.escape(String.valueOf(jobId)) + "'");
        }
        return jobId;
    }
}
