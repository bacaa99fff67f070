package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.SafeText;
import org.cryo.engine.CryoHome;

/**
 * The workflows that are the same for every scheduler, over one adapter's verbs and state:
 * checkpoint, vacate (checkpoint, end, requeue or hold), restart, enable/disable, last error,
 * node migration, and the node-side entry points a scheduler's own hooks call
 * ({@link #checkpointHere}, {@link #migrateHere}, {@link #clean}).  Each checks who asks first
 * ({@link Permissions}), then the job's catalog as a whole ({@link JobDirectory#verify}), then the
 * recorded process against the scheduler's record and the adapter's proof, under the job's lock
 * ({@link JobCheckpointer}); a failure is recorded as the job's last checkpoint error and leaves
 * the job running as it was.
 */
public final class JobControl {
    private final SchedulerAdapter adapter;
    private final Map<String, String> environment;
    private final JobCheckpointer checkpointer;
    private final Permissions permissions;

    public JobControl(SchedulerAdapter adapter, Map<String, String> environment, Checkpointer engine, NodeExecutor nodes,
                      String user) {
        this.adapter = adapter;
        this.environment = Map.copyOf(environment);
        this.checkpointer = new JobCheckpointer(engine, nodes, adapter);
        this.permissions = new Permissions(adapter, user);
    }

    /** The workflows over {@code adapter}, configured from {@code environment}, for the current user. */
    public static JobControl of(SchedulerAdapter adapter, Map<String, String> environment) throws SchedulerException {
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        return new JobControl(adapter, environment, Checkpointer.create(home),
                NodeExecutor.configured(environment, adapter),
                System.getProperty("user.name"));
    }

    /** The workflows over the adapter of {@code scheduler}, found through ServiceLoader. */
    public static JobControl open(String scheduler, Map<String, String> environment) throws SchedulerException {
        return of(SchedulerAdapterProvider.find(scheduler).create(environment), environment);
    }

    public SchedulerAdapter adapter() {
        return adapter;
    }

    public Permissions permissions() {
        return permissions;
    }

    public JobStatus job(String jobId) throws SchedulerException {
        return adapter.job(jobId);
    }

    /** The job's directory in its catalog (where its provider puts the catalog). */
    public JobDirectory directory(JobStatus job) {
        return JobCatalog.at(job.catalogRoot(), environment).job(job.jobId(), job.user());
    }

    /**
     * {@link #directory}, checked as a whole before anything is done in it: the job's user can
     * write there, so a planted link or another user's file is refused by name first.
     */
    public JobDirectory checkedDirectory(JobStatus job) throws SchedulerException {
        JobDirectory dir = directory(job);
        try {
            dir.verify();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /** The job's checkpointable process in this run, unproven (for listing); empty if it has none. */
    public List<JobProcess> processes(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        try {
            return List.of(checkpointer.processOf(job, checkedDirectory(job)));
        } catch (SchedulerException notCheckpointable) {
            return List.of();
        }
    }

    /** Whether a job is checkpointable now: disabled, or its process and context files. */
    public record Ability(boolean disabled, JobProcess process, int contexts, Path directory) {
    }

    /** Slurm 19.05's {@code checkpoint able}: fails with a one-line reason when the job is not checkpointable. */
    public Ability able(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        JobDirectory dir = checkedDirectory(job);
        try {
            if (dir.isDisabled()) {
                return new Ability(true, null, dir.contexts().size(), dir.path());
            }
            List<JobProcess> processes = processes(jobId);
            if (processes.isEmpty()) {
                throw new SchedulerException(job.describe()
                        + " is not checkpointable now (not running, or its work is not under cr_run)");
            }
            return new Ability(false, processes.get(0), dir.contexts().size(), dir.path());
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /** Checkpoint the job and let it run on. */
    public CheckpointRecord checkpoint(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);   // before the catalog is even looked at
        return checkpointer.checkpoint(job, checkedDirectory(job), EndAction.RUNNING);
    }

    /**
     * Checkpoint with every process of the job's tree held frozen by the engine, give the job back
     * to the queue through the adapter (requeue or hold), and only then end the processes
     * (SIGKILL, by the engine that holds exactly the processes it checkpointed).  Everything that
     * can be refused is refused before the process is touched; a failed checkpoint leaves the job
     * running; a failed requeue lets the held processes run on exactly as before (no work lost,
     * none redone: nothing ran while they were held, not even after a scheduler's SIGCONT), and
     * the error is recorded.  cr_run sees the vacating marker once its child is ended and waits
     * for the scheduler to end the run instead of failing the job; a held child does not end
     * cr_run's wait, so it notices nothing of a vacate that failed.
     */
    public CheckpointRecord vacate(String jobId, VacateMode mode) throws SchedulerException {
        return vacate(jobId, mode, JobMove.Reason.PREEMPTED);
    }

    /**
     * {@link #vacate(String, VacateMode)}, recording {@code reason} in the job's catalog for the
     * restart that follows (cr_run writes the move's record: {@link JobDirectory#recordMove}).
     */
    public CheckpointRecord vacate(String jobId, VacateMode mode, JobMove.Reason reason) throws SchedulerException {
        return vacateAwayFrom(jobId, mode, reason, List.of());
    }

    /**
     * {@link #vacate(String, VacateMode, JobMove.Reason)}, and the requeued job kept off
     * {@code atRisk} from now on (the adapter's {@link SchedulerAdapter#excludeNodes}), before it
     * can start again; what Cryo excluded for the job is kept in its catalog, so that the next move
     * lifts what is no longer at risk.  An exclusion that fails is recorded and said, not thrown:
     * the job is requeued, and a drained node is no target anyway.
     */
    public CheckpointRecord vacateAwayFrom(String jobId, VacateMode mode, JobMove.Reason reason, List<String> atRisk)
            throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        if (!job.requeueable()) {
            throw recorded(dir, new SchedulerException(job.describe()
                    + " cannot be requeued (the scheduler would not run it again); not vacated"));
        }
        if (JobCheckpointer.isDisabled(job, dir)) {
            throw JobCheckpointer.disabled(job);
        }
        try {
            checkpointer.provenProcessOf(job, dir);   // refuse before marking anything
        } catch (SchedulerException e) {
            throw recorded(dir, e);
        }
        markVacating(dir, reason);
        CheckpointRecord record;
        try (HeldCheckpoint held = holdOrUnmark(job, dir)) {
            record = held.record();
            requeueOrRelease(job, dir, held, mode);
            endRequeued(dir, held);
        }
        // a move for any reason recomputes what Cryo keeps the job off: a node resumed since the
        // last health move may have the job again (an operator's migrate-node back to it)
        updateExcludedNodes(job, dir, atRisk);
        try {
            adapter.settleRequeued(job, mode);
        } catch (SchedulerException e) {
            throw recorded(dir, e);
        }
        return record;
    }

    /** Nothing to do when nothing is at risk and Cryo kept the job off no node (the record read once). */
    private void updateExcludedNodes(JobStatus job, JobDirectory dir, List<String> atRisk) {
        try {
            List<String> earlier = dir.excludedNodes();
            if (atRisk.isEmpty() && earlier.isEmpty()) {
                return;
            }
            dir.recordExcludedNodes(adapter.excludeNodes(job, atRisk, earlier));
        } catch (SchedulerException | IOException | RuntimeException e) {
            String message = "job " + job.jobId() + " was requeued, but its node exclusions were not updated"
                    + (atRisk.isEmpty() ? "" : " (to keep it off " + String.join(",", atRisk) + ")") + ": " + e.getMessage();
            JobCheckpointer.recordError(dir, 1, message);
            System.err.println("cryo: warning: " + message);
        }
    }

    private HeldCheckpoint holdOrUnmark(JobStatus job, JobDirectory dir) throws SchedulerException {
        try {
            return checkpointer.hold(job, dir);
        } catch (SchedulerException e) {
            unmarkVacating(dir);
            throw e;
        }
    }

    /** The scheduler takes the job back, or the held processes run on and the error is recorded. */
    private void requeueOrRelease(JobStatus job, JobDirectory dir, HeldCheckpoint held, VacateMode mode)
            throws SchedulerException {
        try {
            adapter.requeue(job, mode);
        } catch (SchedulerException e) {
            String outcome;
            try {
                held.release();
                outcome = "its processes run on";
            } catch (SchedulerException notReleased) {
                outcome = notReleased.getMessage();
            }
            unmarkVacating(dir);
            throw recorded(dir, new SchedulerException("job " + job.jobId() + " was checkpointed to "
                    + held.record().file() + " but not requeued: " + e.getMessage() + "; " + outcome, e));
        }
    }

    /**
     * The scheduler has the job back: its processes end now, none having run since the context
     * was taken.  A failure is recorded, not thrown: the job is requeued, and the scheduler ends
     * the run (the engine, on failing, lets the processes go and the scheduler's signals reach them).
     */
    private static void endRequeued(JobDirectory dir, HeldCheckpoint held) {
        try {
            held.end();
        } catch (SchedulerException e) {
            recorded(dir, new SchedulerException(e.getMessage() + " (the job was requeued; the scheduler ends the run)",
                    e));
        }
    }

    /** Let a vacated job run again: it must be waiting (held or pending) and have a context file. */
    public void restart(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        try {
            if (dir.latest().isEmpty()) {
                throw new SchedulerException(job.describe() + " has no context file in "
                        + SafeText.escape(dir.path().toString()));
            }
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
        if (job.state() != JobState.HELD && job.state() != JobState.PENDING) {
            throw new SchedulerException(job.describe() + " is not waiting to restart (vacate it first)");
        }
        adapter.release(job);
    }

    /** Slurm 19.05 {@code checkpoint disable/enable}: while disabled, every checkpoint of the job is refused. */
    public void setCheckpointsEnabled(String jobId, boolean enabled) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        try {
            dir.setDisabled(!enabled);
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /** Slurm 19.05 {@code checkpoint error}: the last error recorded for the job, if any. */
    public Optional<JobDirectory.CheckpointError> lastError(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        try {
            return checkedDirectory(job).lastError();
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /** Drain {@code node} and vacate (requeue) its checkpointable jobs ({@link Migration}). */
    public List<Migration.Outcome> migrateNode(String node, String reason) throws SchedulerException {
        permissions.ensurePrivileged("drain or migrate node " + node);
        return Migration.migrate(this, node, reason);
    }

    // ------------------------------------------------------------ inbound: a scheduler's hooks on the node

    /**
     * A scheduler's checkpoint hook on the job's node (Grid Engine {@code ckpt_command}, PBS MoM
     * {@code $action checkpoint}): checkpoint the job's process, which must run on this node, and
     * let it run on.
     */
    public CheckpointRecord checkpointHere(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        ensureHere(job, dir);
        return checkpointer.checkpoint(job, dir, EndAction.RUNNING);
    }

    /**
     * A scheduler's migration hook on the job's node (Grid Engine {@code migr_command}, PBS
     * {@code $action checkpoint_abort}): checkpoint the job's process and end it; the scheduler,
     * which called, takes the job off the node and runs it again, and cr_run then restarts it from
     * the context.  No requeue is asked for: the scheduler is already doing it.
     */
    public CheckpointRecord migrateHere(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        ensureHere(job, dir);
        try {
            dir.create().recordLeaving(JobMove.Reason.MIGRATED);
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
        try {
            return checkpointer.checkpoint(job, dir, EndAction.KILL);
        } catch (SchedulerException | RuntimeException e) {
            forgetLeaving(dir);   // the job stays: a later restart is not this migration's
            throw e;
        }
    }

    /**
     * A scheduler's clean hook once a run of the job is over (Grid Engine {@code clean_command}):
     * the run's records go, the last {@code keep} context files stay ({@code keep == 0}: the
     * job's whole directory goes).  Refused while the job's recorded process still runs here.
     */
    public int clean(String jobId, int keep) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        try {
            ensureNotRunningHere(job, dir, "not cleaned");
            return dir.clean(keep);
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /**
     * A scheduler's restart hook (PBS MoM {@code $action restart}): the latest context file of the
     * job, to restart it on this node; refused while the job's process of this run still runs here
     * (a second copy of the job would run).
     */
    public Path contextToRestartHere(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        try {
            ensureNotRunningHere(job, dir, "not restarted");
            return dir.latest().orElseThrow(() -> new SchedulerException(job.describe() + " has no context file in "
                    + SafeText.escape(dir.path().toString())));
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses when the job's recorded process of this run is alive on this node: a process (not a
     * thread of another one, which a freed PID may have become) that the scheduler's record proves
     * to be the job's.  Anything else at that PID is not the job.
     */
    private void ensureNotRunningHere(JobStatus job, JobDirectory dir, String outcome) throws SchedulerException, IOException {
        Optional<JobProcess> process = dir.process();
        if (process.isPresent() && job.state().isActive() && checkpointer.nodes().isLocal(process.get().node())
                && JobRun.sameRun(job.run(), process.get().run()) && isLiveProcess(process.get().pid())
                && provesToBeTheJobs(job, dir)) {
            throw new SchedulerException(job.describe() + ": its process " + process.get().pid() + " still runs; "
                    + outcome);
        }
    }

    /** A live thread-group leader: /proc/PID/status says Tgid PID, and it is not a zombie. */
    private static boolean isLiveProcess(long pid) {
        try {
            List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
            return status.contains("Tgid:\t" + pid) && status.stream().noneMatch(l -> l.startsWith("State:\tZ"));
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    private boolean provesToBeTheJobs(JobStatus job, JobDirectory dir) {
        try {
            checkpointer.provenProcessOf(job, dir);
            return true;
        } catch (SchedulerException notTheJobs) {
            return false;
        }
    }

    /** A hook runs on the job's node: the recorded process must be here (ptrace does not cross hosts). */
    private void ensureHere(JobStatus job, JobDirectory dir) throws SchedulerException {
        JobProcess process = checkpointer.processOf(job, dir);
        if (!checkpointer.nodes().isLocal(process.node())) {
            throw new SchedulerException(job.describe() + ": its process runs on " + SafeText.escape(process.node())
                    + ", not on this node (" + checkpointer.nodes().localNode() + "); run 'cryo job' there");
        }
    }

    private static SchedulerException recorded(JobDirectory dir, SchedulerException e) {
        JobCheckpointer.recordError(dir, 1, e.getMessage());
        return e;
    }

    private static void markVacating(JobDirectory dir, JobMove.Reason reason) throws SchedulerException {
        try {
            dir.create().recordLeaving(reason);
            dir.markVacating();
        } catch (IOException e) {
            throw new SchedulerException("job " + dir.jobId() + ": " + e.getMessage(), e);
        }
    }

    private static void forgetLeaving(JobDirectory dir) {
        try {
            dir.clearLeaving();
        } catch (IOException ignored) {
            // the restart, if any, then counts as this migration's
        }
    }

    private static void unmarkVacating(JobDirectory dir) {
        try {
            dir.clearLeaving();
            dir.clearVacating();
        } catch (IOException ignored) {
            // cr_run stops waiting after its time-out anyway
        }
    }
}
