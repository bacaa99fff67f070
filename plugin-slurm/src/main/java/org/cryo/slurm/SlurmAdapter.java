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
    /** ExcNodeList for a job between {@link #excludeNodes} and {@link #settleRequeued} (the same vacate). */
    private final Map<String, List<String>> exclusions = new java.util.concurrent.ConcurrentHashMap<>();

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

    /**
     * ExcNodeList = the job's own exclusions (what it had, less what Cryo excluded {@code earlier})
     * + {@code atRisk} + every node drained by a Cryo health check ("cryo health ..."): Slurm then
     * never starts it there again, even once the drain is lifted, until the next move recomputes
     * the list (or an admin clears it: {@code scontrol update JobId=J ExcNodeList=}).  Slurm
     * changes ExcNodeList of a pending job only, and an ExcNodeList update alone also ends its
     * wait for BeginTime without moving it (the job then waits out the whole BeginTime): so the
     * list is set by {@link #settleRequeued}, in the same update as StartTime=now, once the old
     * run has completed.  Read with scontrol (the REST job records do not carry the list).
     */
    @Override
    public List<String> excludeNodes(JobStatus job, List<String> atRisk, List<String> earlier) throws SchedulerException {
        String jobId = validJobId(job.jobId());
        java.util.Set<String> own = new java.util.LinkedHashSet<>(slurm.commands().excludedNodes(jobId));
        own.removeAll(earlier);
        java.util.Set<String> cryo = new java.util.LinkedHashSet<>(atRisk);
        cryo.addAll(slurm.commands().nodesDrainedFor(HEALTH_REASON));
        cryo.removeAll(own);
        List<String> all = new ArrayList<>(own);
        all.addAll(cryo);
        exclusions.put(jobId, List.copyOf(all));
        return List.copyOf(cryo);
    }

    /** The reason every drain by {@code cryo health} and {@code cryo agent} starts with. */
    static final String HEALTH_REASON = "cryo health";

    /** A requeued job waits out COMPLETING (its processes ending) and Slurm's BeginTime; its exclusions are set then. */
    @Override
    public void settleRequeued(JobStatus job, VacateMode mode) throws SchedulerException {
        List<String> excluded = exclusions.remove(job.jobId());
        if (mode == VacateMode.REQUEUE) {
            makeEligibleNow(job.jobId(), excluded);
        } else if (excluded != null) {
            excludeWhenPending(job.jobId(), excluded);
        }
    }

    /** A held job's ExcNodeList, once it is past COMPLETING ("Job is no longer pending execution" before). */
    private void excludeWhenPending(String jobId, List<String> excluded) throws SchedulerException {
        long deadline = System.currentTimeMillis() + ELIGIBLE_WAIT_MILLIS;
        while (slurm.job(jobId).jobState().equals("COMPLETING")) {
            if (System.currentTimeMillis() > deadline) {
                throw new SchedulerException("job " + jobId + " was requeued but is still COMPLETING; ExcNodeList not set");
            }
            pause(250);
        }
        slurm.update(jobId, JobUpdate.excludedNodes(excluded));
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
        makeEligibleNow(jobId, null);
    }

    /** {@link #makeEligibleNow(String)}, with ExcNodeList set to {@code excluded} (null: unchanged) in the same update. */
    private void makeEligibleNow(String jobId, List<String> excluded) throws SchedulerException {
        long deadline = System.currentTimeMillis() + ELIGIBLE_WAIT_MILLIS;
        boolean settled = false;
        do {
            SlurmJob job = slurm.job(jobId);
            if (job.jobState().equals("COMPLETING")) {
                pause(250);
                continue;
            }
            if (!job.reason().equals("BeginTime")) {
                if (excluded != null && job.state() != JobState.RUNNING) {
                    slurm.update(jobId, JobUpdate.excludedNodes(excluded));
                }
                return;   // eligible (or started, held, ...): nothing else to do
            }
            if (!settled) {
                pause(2000);
                settled = true;
            }
            if (excluded == null) {
                slurm.update(jobId, JobUpdate.startNow());
            } else {
                startNowExcluding(jobId, excluded);
                excluded = null;   // set; a second StartTime=now need not repeat it
            }
            pause(250);
        } while (System.currentTimeMillis() < deadline);
        throw new SchedulerException("job " + jobId + " was requeued but still waits for its BeginTime");
    }

    /** StartTime=now with ExcNodeList; if Slurm refuses the list, StartTime=now alone: the job moves either way. */
    private void startNowExcluding(String jobId, List<String> excluded) throws SchedulerException {
        try {
            slurm.update(jobId, new JobUpdate(System.currentTimeMillis() / 1000, null, null, null, excluded));
        } catch (SchedulerException e) {
            System.err.println("cryo: warning: job " + jobId + ": ExcNodeList=" + String.join(",", excluded)
                    + " not set: " + e.getMessage());
            slurm.update(jobId, JobUpdate.startNow());
        }
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
