package org.cryo.pbs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
 * Cryo's PBS adapter (OpenPBS 23.06, Torque's same-named clients): verbs and state only, the
 * workflows are the core's ({@link org.cryo.scheduler.JobControl}).  State from {@code qstat -fx
 * -F json} as (job_state, substate, Hold_Types); the end of a vacate is {@code qhold} (held: the
 * MoM's checkpoint_abort action finds the job checkpointed and ends its session; {@code qrls} then
 * runs the restart action) or {@code qrerun} (requeued: the job script runs again, anywhere, and
 * cr_run restarts from the context); managers and operators from {@code qstat -Bf}; the PID proof
 * is the job's session ({@link PbsSessionProof}).  The mapping is in plugin-pbs/README.md.
 */
public final class PbsAdapter implements SchedulerAdapter {
    /** How long a qsig suspend/resume cycle may take to bring a restarted job from R/41 to R/42. */
    private static final long SETTLE_MILLIS = 60_000;

    private final PbsCommands commands;
    private final Map<String, String> environment;
    private final Map<String, PbsJob> lastSeen = new ConcurrentHashMap<>();

    public PbsAdapter(PbsCommands commands, Map<String, String> environment) {
        this.commands = commands;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String scheduler() {
        return PbsAdapterProvider.NAME;
    }

    @Override
    public String apiVersion() {
        return "PBS commands (qstat -F json, OpenPBS 23.06) in " + commands.binaries();
    }

    public PbsCommands commands() {
        return commands;
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return pbsJob(jobId).status(environment);
    }

    /** The job as the server shows it; one line for an unknown or finished-and-forgotten job. */
    public PbsJob pbsJob(String jobId) throws SchedulerException {
        validJobId(jobId);
        PbsCommands.Output out = commands.jobJson(jobId);
        if (out.status() == PbsCommands.FINISHED) {
            throw new PbsCommands.Finished("job " + jobId + " has finished (PBS keeps no history of it: "
                    + out.message() + ")");
        }
        if (out.status() != 0) {
            throw PbsCommands.failure(out, jobId);
        }
        PbsJob job = PbsJob.from(QstatJson.parse(out.stdout(), "qstat -fx -F json " + jobId), jobId)
                .orElseThrow(() -> new PbsCommands.UnknownJob("unknown job " + jobId + " (qstat shows no such job)"));
        lastSeen.put(jobId, job);
        lastSeen.put(job.jobId(), job);
        return job;
    }

    @Override
    public List<JobStatus> jobsOn(String node) throws SchedulerException {
        List<JobStatus> jobs = new ArrayList<>();
        for (PbsJob job : PbsJob.all(QstatJson.parse(commands.allJobsJson(), "qstat -f -F json"))) {
            if (job.hosts().contains(node) && job.jobState().isActive()) {
                lastSeen.put(job.jobId(), job);
                jobs.add(job.status(environment));
            }
        }
        return jobs;
    }

    /** The server's managers and operators ({@code user@host}, host may be {@code *}) may act on every job. */
    @Override
    public boolean isOperator(String user) throws SchedulerException {
        Map<String, Object> server = QstatJson.objectAt(QstatJson.parse(commands.serverJson(), "qstat -Bf -F json"),
                "Server");
        for (Object attributes : server.values()) {
            if (attributes instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> a = (Map<String, Object>) map;
                if (listed(QstatJson.text(a, "managers").orElse(""), user)
                        || listed(QstatJson.text(a, "operators").orElse(""), user)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** "root@*,ops@vm" lists ops (Cryo acts from a job's node: any host of the entry counts). */
    static boolean listed(String acl, String user) {
        for (String entry : acl.split(",")) {
            String name = entry.strip().replaceFirst("@.*", "");
            if (!name.isEmpty() && name.equals(user)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The process must be in the job's session with the job's PBS_JOBID: the session the MoM gave
     * its action ({@code PBS_SID}, negated for restart), else the server's {@code session_id}.
     */
    /**
     * {@code pbs_tmrsh HOST}: PBS's own task manager starts the command as a task of the job on
     * that host (the job's cgroup, its accounting, no ssh).  The TM interface needs the job's
     * cookie, which only the job's own environment carries ({@code PBS_JOBCOOKIE}, with
     * {@code PBS_JOBID} this job's): from inside the job (cr_run, a job's own script) there is
     * an entry; from anywhere else none (ssh).
     */
    @Override
    public Optional<NodeEntry> nodeEntry(JobStatus job, String node) {
        return tmrshEntry(commands.binaries(), environment, job, node);
    }

    static Optional<NodeEntry> tmrshEntry(Path binaries, Map<String, String> environment, JobStatus job, String node) {
        boolean insideTheJob = job.jobId().equals(environment.getOrDefault("PBS_JOBID", "").strip())
                && !environment.getOrDefault("PBS_JOBCOOKIE", "").isBlank();
        if (!insideTheJob || !node.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,252}")) {
            return Optional.empty();
        }
        return Optional.of(new NodeEntry(List.of(binaries.resolve("pbs_tmrsh").toString(), node), true, Map.of()));
    }

    @Override
    public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        PbsSessionProof.prove(job, process, session(job.jobId()), nodes);
    }

    private long session(String jobId) throws SchedulerException {
        String given = environment.getOrDefault("PBS_SID", "").strip();
        if (given.matches("-?\\d{1,9}") && environment.getOrDefault("PBS_JOBID", "").strip().equals(jobId)) {
            return Math.abs(Long.parseLong(given));
        }
        PbsJob job = lastSeen.containsKey(jobId) ? lastSeen.get(jobId) : pbsJob(jobId);
        return job.sessionId();
    }

    /**
     * The end of a vacate, the job's processes checkpointed and held frozen: HOLD is {@code qhold}
     * (the MoM's checkpoint_abort action sees the vacate's marker and ends the job's session; the
     * job is H/60 and {@code qrls} restarts it through the restart action), REQUEUE is {@code
     * qrerun} (operators only; the script runs again and cr_run restarts from the context).
     */
    @Override
    public void requeue(JobStatus job, VacateMode mode) throws SchedulerException {
        if (mode == VacateMode.HOLD) {
            commands.hold(job.jobId());
            PbsJob after = pbsJob(job.jobId());
            if (!"H".equals(after.state()) && !"Q".equals(after.state())) {
                // a job PBS never checkpoints (-c n), or no checkpoint_abort action: the hold stays, the job runs
                try {
                    commands.release(job.jobId());
                } catch (SchedulerException ignored) {
                    // the refusal below is the news
                }
                throw new SchedulerException("job " + job.jobId() + " is " + after.nativeState() + " after qhold:"
                        + " PBS did not vacate it (Checkpoint " + after.checkpoint() + "; are the MoM's actions"
                        + " installed? cryo pbs install-mom-actions)");
            }
        } else {
            commands.rerun(job.jobId());
        }
    }

    /** A held job is released ({@code qrls}); a queued one is already on its way. */
    @Override
    public void release(JobStatus job) throws SchedulerException {
        if (job.state() == JobState.HELD) {
            commands.release(job.jobId());
        }
    }

    /**
     * {@code pbsnodes -o -C REASON NODE}: running jobs stay, no new one starts (managers only).
     * pbsnodes names a MoM host at the default MoM port: a node whose MoM listens on another
     * ({@code Port} of {@code pbsnodes -av}) is set offline through {@code qmgr} instead (the
     * server answers pbsnodes "Unknown node" for it; found by the live suite), and its {@code
     * comment} set there too, so that the reason shows in {@code pbsnodes -av} either way.
     */
    @Override
    public void drain(String node, String reason) throws SchedulerException {
        validNode(node);
        String comment = SafeText.escape(reason, 80);
        if (atDefaultPort(node)) {
            commands.offline(node, comment);
        } else {
            commands.qmgr("set node " + node + " state = offline");
            commands.qmgr("set node " + node + " comment = " + qmgrString(comment));
        }
    }

    /** A qmgr string value: in double quotes, which it cannot escape, so none inside. */
    static String qmgrString(String text) {
        return "\"" + text.replace('"', '\'') + "\"";
    }

    @Override
    public void resume(String node) throws SchedulerException {
        validNode(node);
        if (atDefaultPort(node)) {
            commands.clearOffline(node);
        } else {
            commands.qmgr("set node " + node + " state = free");
        }
    }

    /**
     * {@code pbsnodes -av -F json}: the node's {@code state} as PBS names it (free, job-busy,
     * job-exclusive, offline, down, state-unknown, several joined by commas) and its
     * {@code comment} (where {@link #drain} puts the reason).  Down or state-unknown is down; offline
     * is drained, or draining while jobs still run there; else idle, mixed or allocated by its
     * jobs and CPUs.
     */
    @Override
    public org.cryo.scheduler.NodeState nodeState(String node) throws SchedulerException {
        validNode(node);
        Map<String, Object> nodes = QstatJson.objectAt(QstatJson.parse(commands.nodesJson(), "pbsnodes -av -F json"), "nodes");
        if (!nodes.containsKey(node)) {
            return org.cryo.scheduler.NodeState.unknown(node, "PBS lists no node " + node);
        }
        return nodeState(node, QstatJson.objectAt(nodes, node));
    }

    static org.cryo.scheduler.NodeState nodeState(String node, Map<String, Object> record) {
        String state = QstatJson.text(record, "state").orElse("");
        List<String> states = List.of(state.split(","));
        Object jobs = record.get("jobs");
        boolean runsJobs = jobs instanceof List<?> list && !list.isEmpty();
        long cpus = number(QstatJson.text(QstatJson.objectAt(record, "resources_available"), "ncpus").orElse(""));
        long assigned = number(QstatJson.text(QstatJson.objectAt(record, "resources_assigned"), "ncpus").orElse(""));
        org.cryo.scheduler.NodeState.Kind kind;
        if (states.contains("down") || states.contains("state-unknown") || states.contains("stale")) {
            kind = org.cryo.scheduler.NodeState.Kind.DOWN;
        } else if (states.contains("offline") || states.contains("maintenance")) {
            kind = org.cryo.scheduler.NodeState.outOfScheduling(runsJobs);
        } else if (states.contains("free") || states.contains("job-busy") || states.contains("job-exclusive")
                || states.contains("resv-exclusive")) {
            boolean full = !states.contains("free") || (cpus > 0 && assigned >= cpus);
            kind = org.cryo.scheduler.NodeState.inService(runsJobs, full && runsJobs);
        } else {
            kind = org.cryo.scheduler.NodeState.Kind.UNKNOWN;
        }
        return new org.cryo.scheduler.NodeState(node, state, kind,
                SafeText.escape(QstatJson.text(record, "comment").orElse(""), 200));
    }

    private static long number(String text) {
        return text.matches("\\d{1,18}") ? Long.parseLong(text) : 0;
    }

    /** Whether {@code pbsnodes -av} shows the node's MoM at port 15002 (or names no port, or not the node). */
    private boolean atDefaultPort(String node) throws SchedulerException {
        Map<String, Object> nodes = QstatJson.objectAt(QstatJson.parse(commands.nodesJson(), "pbsnodes -av -F json"), "nodes");
        return QstatJson.text(QstatJson.objectAt(nodes, node), "Port").map("15002"::equals).orElse(true);
    }

    /** PBS's scheduler picks where a rerun job goes. */
    @Override
    public Optional<String> migrationTarget(String fromNode) {
        return Optional.empty();
    }

    /**
     * A job PBS restarted from a checkpoint stays R/41, and the server relays no hold and no
     * checkpoint preemption for it (the qhold only sets Hold_Types): a {@code qsig -s suspend},
     * {@code qsig -s resume} cycle (operators only) brings it to R/42.  Does that cycle when the job
     * is R/41 and waits (bounded) for R/42; a job only starting (the server refuses to suspend it)
     * is waited for instead.  Returns what it did, for the caller to say.
     */
    public Optional<String> makeHoldable(String jobId) throws SchedulerException {
        PbsJob job = pbsJob(jobId);
        if (!job.inPrerun()) {
            return Optional.empty();
        }
        try {
            commands.signal(job.jobId(), "suspend");
        } catch (PbsCommands.BadState refused) {
            if (awaitSubstate(jobId, PbsJob.RUNNING, SETTLE_MILLIS / 6)) {
                return Optional.empty();   // it was only starting
            }
            throw refused;
        }
        commands.signal(job.jobId(), "resume");
        if (!awaitSubstate(jobId, PbsJob.RUNNING, SETTLE_MILLIS)) {
            throw new SchedulerException("job " + jobId + " stays " + pbsJob(jobId).nativeState()
                    + " after qsig -s suspend/resume; PBS would not hold it");
        }
        return Optional.of("job " + jobId + " was R/41 (restarted by PBS): qsig -s suspend, qsig -s resume made it R/42");
    }

    private boolean awaitSubstate(String jobId, int substate, long millis) throws SchedulerException {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            PbsJob job = pbsJob(jobId);
            if (job.substate() == substate && "R".equals(job.state())) {
                return true;
            }
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            pause();
        }
    }

    private static void pause() throws SchedulerException {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
    }

    /** PBS job ids: NUMBER[.SERVER] or NUMBER[INDEX][.SERVER]; anything else is a usage error, never an argument. */
    public static String validJobId(String jobId) {
        if (jobId == null || !jobId.matches(PbsJobEnvironment.JOB_ID)) {
            throw new IllegalArgumentException("invalid PBS job id '" + SafeText.escape(String.valueOf(jobId)) + "'");
        }
        return jobId;
    }

    static String validNode(String node) {
        if (node == null || !node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,252}")) {
            throw new IllegalArgumentException("invalid node name '" + SafeText.escape(String.valueOf(node)) + "'");
        }
        return node;
    }
}
