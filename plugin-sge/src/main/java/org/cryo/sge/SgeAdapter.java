package org.cryo.sge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.SafeText;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeEntry;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * Cryo's Grid Engine adapter (Son of Grid Engine 8.1.9): verbs and state only, the workflows are
 * the core's ({@link org.cryo.scheduler.JobControl}).  Job state from {@code qstat -xml}; hold,
 * release and suspend through DRMAA or qhold/qrls/qmod ({@link SgeControl}); the end of an
 * outbound vacate is {@code qmod -rj} (Grid Engine reruns the job, RESTARTED=1, and cr_run restarts
 * from the context); managers and operators from {@code qconf -sm/-so}; the PID proof is the job's
 * shepherd ({@link SgeProcessProof}).  The mapping of Grid Engine actions is in plugin-sge/README.md.
 */
public final class SgeAdapter implements SchedulerAdapter {
    private final SgeCommands commands;
    private final SgeControl control;
    private final SgeProcessProof proof;
    private final Map<String, String> environment;

    SgeAdapter(SgeCommands commands, SgeControl control, SgeProcessProof proof, Map<String, String> environment) {
        this.commands = commands;
        this.control = control;
        this.proof = proof;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String scheduler() {
        return SgeAdapterProvider.NAME;
    }

    @Override
    public String apiVersion() {
        return control.describe() + " + qstat -xml (Grid Engine 8.1.9)";
    }

    public SgeCommands commands() {
        return commands;
    }

    /** Suspend/hold/release as this adapter sends them (DRMAA or qmod/qhold/qrls). */
    public SgeControl control() {
        return control;
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return sgeJob(jobId).status(environment);
    }

    /** The job as qstat shows it; one line for an unknown job. */
    public SgeJob sgeJob(String jobId) throws SchedulerException {
        validJobId(jobId);
        Optional<String> detail = commands.jobXml(jobId);
        if (detail.isEmpty()) {
            throw new SchedulerException("unknown job " + jobId + " (Grid Engine has no such job; qacct -j " + jobId
                    + " shows ended ones)");
        }
        List<QstatXml.Listed> listed = QstatXml.jobList(commands.jobListXml());
        return QstatXml.job(detail.get(), listed).orElseThrow(() -> new SchedulerException("unknown job " + jobId));
    }

    @Override
    public List<JobStatus> jobsOn(String host) throws SchedulerException {
        List<JobStatus> jobs = new ArrayList<>();
        for (QstatXml.Listed line : QstatXml.jobList(commands.jobListXml())) {
            if (line.host().equals(host) && jobs.stream().noneMatch(j -> j.jobId().equals(line.jobId()))) {
                JobStatus status = job(line.jobId());
                if (status.state().isActive()) {
                    jobs.add(status);
                }
            }
        }
        return jobs;
    }

    /** Grid Engine's managers and operators may act on every job, as Grid Engine lets them qmod and qhold it. */
    @Override
    public boolean isOperator(String user) throws SchedulerException {
        return commands.managers().contains(user) || commands.operators().contains(user);
    }

    /**
     * {@code qrsh -inherit HOST} for a job whose parallel environment controls its slaves
     * ({@code control_slaves TRUE}): a task of the job itself on that host, started by Grid
     * Engine's execd, as the job's owner (root switches to the owner first: execd takes the
     * task for the caller's).  Any other job: no entry (ssh).
     */
    @Override
    public Optional<NodeEntry> nodeEntry(JobStatus job, String node) throws SchedulerException {
        Optional<String> pe = commands.parallelEnvironmentOf(job.jobId());
        if (pe.isEmpty() || !commands.controlsSlaves(pe.get())) {
            return Optional.empty();
        }
        return Optional.of(qrshInherit(job, validHost(node), "root".equals(System.getProperty("user.name"))));
    }

    /** The qrsh -inherit entry onto {@code host} for {@code job}'s task, switching to its owner when root calls. */
    static NodeEntry qrshInherit(JobStatus job, String host, boolean callerIsRoot) {
        List<String> prefix = new ArrayList<>();
        if (callerIsRoot && !"root".equals(job.user())) {
            prefix.addAll(List.of("runuser", "-u", job.user(), "--"));
        }
        prefix.addAll(List.of("qrsh", "-inherit", host));
        // qrsh -inherit finds the job by JOB_ID and its task by SGE_TASK_ID ("undefined": not an array job)
        return new NodeEntry(prefix, true, Map.of("JOB_ID", job.jobId(), "SGE_TASK_ID", "undefined"), true);
    }

    @Override
    public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        proof.prove(job, process, nodes);
    }

    /**
     * The end of a vacate (the process is checkpointed and killed; cr_run waits to be ended):
     * Grid Engine's migration, {@code qmod -sj} (or DRMAA SUSPEND), whose migr_command ends the
     * job's process group (its {@code cryo job migrate} finds nothing left to checkpoint); Grid
     * Engine then runs the job again and cr_run restarts from the vacate's context.  With HOLD,
     * {@code qhold} first, so that the rerun waits ({@code hRq}) for {@link #release}.
     * ({@code qmod -rj} refuses a job with a checkpointing environment: "requests ckpt object
     * cryo. Therefore this job is not restartable".)  Only a job with Cryo's environment: see
     * {@link #ensureMigratable}, which the commands check before the core's vacate.
     */
    @Override
    public void requeue(JobStatus job, VacateMode mode) throws SchedulerException {
        if (mode == VacateMode.HOLD) {
            control.hold(job.jobId());
        }
        try {
            control.suspend(job.jobId());
        } catch (SchedulerException e) {
            if (mode == VacateMode.HOLD) {
                try {
                    control.release(job.jobId());
                } catch (SchedulerException ignored) {
                    // the first failure is the one to report
                }
            }
            throw e;
        }
    }

    /** A held job is released ({@code qrls}); a pending one is already on its way. */
    @Override
    public void release(JobStatus job) throws SchedulerException {
        if (job.state() == JobState.HELD) {
            control.release(job.jobId());
        }
    }

    /**
     * The host's queue instances as {@code qstat -f -q *@HOST -xml} lists them: every one in
     * state u (its execd not answering) is down; every one disabled (d, D, E: what {@link #drain}'s
     * {@code qmod -d} does) is drained, or draining while jobs still run; else idle, mixed or
     * allocated by the slots used.  The native state is each instance's letters; Grid Engine
     * records no reason for a disable, so the reason says what the letters mean.
     */
    @Override
    public org.cryo.scheduler.NodeState nodeState(String host) throws SchedulerException {
        String xml = commands.queueInstancesXml(validHost(host));
        return nodeState(host, QstatXml.queueInstances(xml));
    }

    static org.cryo.scheduler.NodeState nodeState(String host, List<QstatXml.QueueInstance> queues) {
        if (queues.isEmpty()) {
            return org.cryo.scheduler.NodeState.unknown(host, "Grid Engine lists no queue instance on " + host);
        }
        int used = 0;
        int total = 0;
        boolean allUnknown = true;
        boolean allDisabled = true;
        java.util.List<String> states = new java.util.ArrayList<>();
        java.util.Set<String> meanings = new java.util.LinkedHashSet<>();
        for (QstatXml.QueueInstance q : queues) {
            used += q.used();
            total += q.total();
            allUnknown &= q.states().contains("u");
            allDisabled &= q.states().matches(".*[dDE].*");
            states.add(q.name() + (q.states().isEmpty() ? "" : " " + q.states()));
            for (char letter : q.states().toCharArray()) {
                String meaning = QUEUE_STATES.get(letter);
                if (meaning != null) {
                    meanings.add(meaning);
                }
            }
        }
        org.cryo.scheduler.NodeState.Kind kind = allUnknown ? org.cryo.scheduler.NodeState.Kind.DOWN
                : allDisabled ? org.cryo.scheduler.NodeState.outOfScheduling(used > 0)
                : org.cryo.scheduler.NodeState.inService(used > 0, total > 0 && used >= total);
        return new org.cryo.scheduler.NodeState(host, String.join(", ", states), kind, String.join("; ", meanings));
    }

    /** qstat(1)'s queue state letters. */
    private static final Map<Character, String> QUEUE_STATES = Map.of('u', "execd not answering (u)",
            'a', "load threshold alarm (a)", 'A', "suspend threshold alarm (A)", 'd', "disabled (qmod -d)",
            'D', "disabled by a calendar (D)", 'E', "error (E): see qstat -explain E", 's', "suspended (s)",
            'S', "suspended by a subordinate queue (S)", 'C', "suspended by a calendar (C)",
            'o', "orphaned: no longer configured (o)");

    @Override
    public void drain(String host, String reason) throws SchedulerException {
        commands.disableHost(validHost(host));
    }

    @Override
    public void resume(String host) throws SchedulerException {
        commands.enableHost(validHost(host));
    }

    /** Grid Engine's scheduler picks the host a rescheduled job runs on; Cryo does not. */
    @Override
    public Optional<String> migrationTarget(String fromHost) {
        return Optional.empty();
    }

    /**
     * What a vacate or migration of the job needs on top of the core's checks: Cryo's
     * checkpointing environment (application-level, running {@code cryo job}) and {@code -r y}.
     */
    public void ensureMigratable(String jobId) throws SchedulerException {
        SgeJob sge = sgeJob(jobId);
        if (sge.checkpointName().isEmpty()) {
            throw new SchedulerException("job " + jobId + " has no checkpointing environment (submit it with"
                    + " qsub -ckpt cryo -r y); not migrated");
        }
        Map<String, String> env = commands.checkpointEnvironment(sge.checkpointName())
                .map(CheckpointEnvironment::parse).orElse(Map.of());
        if (!"application-level".equals(env.get("interface"))
                || !env.getOrDefault("migr_command", "").contains(" job migrate ")) {
            throw new SchedulerException("job " + jobId + ": its checkpointing environment "
                    + SafeText.escape(sge.checkpointName()) + " does not run Cryo ('cryo sge install-ckpt-env'"
                    + " installs one); not migrated");
        }
        if (!sge.restartable()) {
            throw new SchedulerException("job " + jobId + " is not restartable (qsub -r n); not migrated");
        }
    }

    /** Grid Engine job ids are numbers; anything else is a usage error, never an argument to qstat. */
    static String validJobId(String jobId) {
        if (jobId == null || !jobId.matches("\\d{1,12}")) {
            throw new IllegalArgumentException("invalid Grid Engine job id '" + SafeText.escape(String.valueOf(jobId)) + "'");
        }
        return jobId;
    }

    private static String validHost(String host) {
        if (host == null || !host.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,252}")) {
            throw new IllegalArgumentException("invalid host name '" + SafeText.escape(String.valueOf(host)) + "'");
        }
        return host;
    }
}
