package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.SafeText;

/**
 * Checkpoints a batch job's recorded process on the node that holds it and files the context in
 * the job's catalog directory: the half of every checkpoint, vacate and migration that is the same
 * for every scheduler.  Who may ask is checked before ({@link JobControl}); here the recorded
 * process is checked against the scheduler's record and proven the job's by the adapter, the
 * job's lock is taken, and the engine's helper ({@code cryo-engine checkpoint}, a native program:
 * no JVM is started for it) runs on the node as the job's user.
 */
public final class JobCheckpointer {
    /** A checkpoint of a large process may take a while; a hung node must not hang the caller. */
    static final long CHECKPOINT_TIMEOUT_SECONDS = 600;
    /** How long a checkpoint waits for one already under way (a periodic one, say). */
    private static final long LOCK_WAIT_MILLIS = 60_000;

    private final Checkpointer engine;
    private final NodeExecutor nodes;
    private final SchedulerAdapter adapter;

    public JobCheckpointer(Checkpointer engine, NodeExecutor nodes, SchedulerAdapter adapter) {
        this.engine = engine;
        this.nodes = nodes;
        this.adapter = adapter;
    }

    public NodeExecutor nodes() {
        return nodes;
    }

    /** The one refusal of a {@link SchedulerAdapter#proveMembership} proof. */
    public static SchedulerException notTheJobs(JobStatus job, JobProcess process, String why) {
        return new SchedulerException("process " + process.pid() + " named by the catalog of job " + job.jobId()
                + " is not one of the job's processes (" + why + ")");
    }

    /**
     * The process cr_run recorded for {@code job} in this run of it, checked against what the
     * scheduler says (active, on one of the job's nodes, the same run).
     */
    public JobProcess processOf(JobStatus job, JobDirectory dir) throws SchedulerException {
        if (!job.state().isActive()) {
            throw new SchedulerException(job.describe() + " is not running");
        }
        JobProcess process;
        try {
            process = dir.process().orElseThrow(() -> new SchedulerException(job.describe()
                    + " is not checkpointable: no process recorded in " + SafeText.escape(dir.path().toString())
                    + " (run its work under cr_run)"));
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        if (!job.nodes().contains(process.node())) {
            throw new SchedulerException(job.describe() + ": recorded process " + process.pid() + " ran on "
                    + SafeText.escape(process.node()) + ", not on the job's nodes (stale record?)");
        }
        if (!JobRun.sameRun(job.run(), process.run())) {
            throw new SchedulerException(job.describe() + ": its process has not started yet in this run (run "
                    + job.run() + ", recorded " + process.run() + ")");
        }
        return process;
    }

    /** {@link #processOf}, proven to be the job's by the scheduler's record: what may be checkpointed or signalled. */
    public JobProcess provenProcessOf(JobStatus job, JobDirectory dir) throws SchedulerException {
        JobProcess process = processOf(job, dir);
        adapter.proveMembership(job, process, nodes);
        return process;
    }

    /** Checkpoints the job's process under the job's lock, ends it as asked, and commits the context file. */
    public CheckpointRecord checkpoint(JobStatus job, JobDirectory dir, EndAction end) throws SchedulerException {
        AutoCloseable lock = lockForCheckpoint(job, dir);
        try (AutoCloseable held = lock) {
            return checkpointLocked(job, dir, end);
        } catch (SchedulerException e) {
            recordError(dir, e instanceof CheckpointFailed failed ? failed.status : 1, e.getMessage());
            throw e;
        } catch (Exception e) {   // closing the lock
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checkpoints the job's process and keeps every process of its tree frozen (end action
     * HOLD), the context file committed, under the job's lock, until the caller ends them
     * ({@link HeldCheckpoint#end}) or lets them run on ({@link HeldCheckpoint#release}); nothing
     * of the job runs meanwhile, whatever signal the scheduler sends.  A failure leaves them
     * running as before and is recorded.
     */
    public HeldCheckpoint hold(JobStatus job, JobDirectory dir) throws SchedulerException {
        AutoCloseable lock = lockForCheckpoint(job, dir);
        try {
            return HeldCheckpoint.start(this, job, dir, provenProcessOf(job, dir), lock);
        } catch (SchedulerException e) {
            HeldCheckpoint.closeQuietly(lock);
            recordError(dir, e instanceof CheckpointFailed failed ? failed.status : 1, e.getMessage());
            throw e;
        }
    }

    /** The engine's command that checkpoints {@code process} into {@code file} and ends it as asked (run it as the job's user). */
    List<String> engineCommand(JobStatus job, JobProcess process, Path file, EndAction end) throws SchedulerException {
        try {
            return naming(job, engine.checkpointCommand(process.pid(),
                    options(file, end)));
        } catch (CheckpointException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A checkpoint that ends the job's run here (KILL: a vacate; HOLD: the requeue of a
     * migration) is for a run that may start on another node: the engine refuses what of the job
     * stays behind on this one (a node-local MPI session directory).
     */
    static CheckpointOptions options(Path file, EndAction end) {
        return CheckpointOptions.builder().file(file).endAction(end)
                .leavingNode(end == EndAction.KILL || end == EndAction.HOLD).build();
    }

    /** Refused while checkpoints are disabled; else the job's lock, waited for a while. */
    private AutoCloseable lockForCheckpoint(JobStatus job, JobDirectory dir) throws SchedulerException {
        if (isDisabled(job, dir)) {
            SchedulerException e = disabled(job);
            recordError(dir, 1, e.getMessage());
            throw e;
        }
        Optional<AutoCloseable> lock;
        try {
            lock = dir.lock(LOCK_WAIT_MILLIS);
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot lock its catalog: " + e.getMessage(), e);
        }
        return lock.orElseThrow(() -> new SchedulerException(job.describe() + ": another checkpoint of it did not finish"
                + " within " + LOCK_WAIT_MILLIS / 1000 + " s"));
    }

    static SchedulerException disabled(JobStatus job) {
        return new SchedulerException(job.describe() + ": checkpoints are disabled ('checkpoint enable "
                + job.jobId() + "' allows them again)");
    }

    /** Whether checkpoints of the job are disabled; a planted marker is refused. */
    public static boolean isDisabled(JobStatus job, JobDirectory dir) throws SchedulerException {
        try {
            return dir.isDisabled();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /** Records a failure as the job's last checkpoint error (best effort). */
    public static void recordError(JobDirectory dir, int code, String message) {
        try {
            dir.recordError(code, message);
        } catch (IOException | RuntimeException ignored) {
            // the caller reports the error itself
        }
    }

    /** The engine failed on the node: its exit status is the error code. */
    static final class CheckpointFailed extends SchedulerException {
        private static final long serialVersionUID = 1L;
        final int status;

        CheckpointFailed(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    private CheckpointRecord checkpointLocked(JobStatus job, JobDirectory dir, EndAction end) throws SchedulerException {
        JobProcess process = provenProcessOf(job, dir);
        long start = System.nanoTime();
        Path file;
        List<String> command;
        try {
            dir.create();
            file = dir.nextContext();
            command = naming(job, engine.checkpointCommand(process.pid(),
                    options(file, end)));
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        } catch (CheckpointException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        NodeExecutor.Result result = nodes.runAsJobUser(job, process.node(), command, CHECKPOINT_TIMEOUT_SECONDS);
        ensureCheckpointed(job, process, file, result);
        try {
            dir.commit(file, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot record " + file.getFileName() + ": "
                    + e.getMessage(), e);
        }
        return new CheckpointRecord(job.jobId(), process.node(), process.pid(), file,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** The engine's command with the job's id in its environment: its log line names the job (docs/CONFIG.md). */
    static List<String> naming(JobStatus job, List<String> command) {
        List<String> named = new ArrayList<>(List.of("env", "CRYO_JOB_ID=" + job.jobId()));
        named.addAll(command);
        return named;
    }

    /** The helper's verdict on the node: its error, as the job's error, if it failed. */
    static void ensureCheckpointed(JobStatus job, JobProcess process, Path file, NodeExecutor.Result result)
            throws CheckpointFailed {
        try {
            Checkpointer.checkpointResult(machineLine(result), file, process.pid());
        } catch (CheckpointException e) {
            throw new CheckpointFailed("checkpoint of job " + job.jobId() + " (pid " + process.pid() + " on "
                    + process.node() + ") failed: " + SafeText.escape(e.getMessage(), 2 * SafeText.MAX_LENGTH),
                    result.status() == 0 ? 1 : result.status());
        }
    }

    /** The helper's "OK ..." or "ERROR ..." line among what the node printed; else its last line. */
    static String machineLine(NodeExecutor.Result result) {
        String[] lines = result.output().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("OK\t") || lines[i].startsWith("ERROR\t")) {
                return lines[i];
            }
        }
        return result.output().isBlank() ? "exit status " + result.status() : result.lastLine();
    }
}
