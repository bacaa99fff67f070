package org.cryo.scheduler;

import org.cryo.api.SafeText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cryo.api.EndAction;

/**
 * Checkpoints a batch job's recorded process on the node that holds it and files the context in
 * the job's catalog directory.  The scheduler-independent half of every adapter's checkpoint,
 * vacate and migrate.
 */
public final class JobCheckpointer {
    /** A checkpoint of a large process may take a while; a hung node must not hang the caller. */
    private static final long CHECKPOINT_TIMEOUT_SECONDS = 600;

    private final Path cryoHome;
    private final NodeExecutor nodes;
    private final Authorizer authorizer;
    private final ProcessProof proof;

    /** Who may checkpoint, vacate or migrate a job; throws a one-line refusal otherwise. */
    @FunctionalInterface
    public interface Authorizer {
        void ensureMayControl(JobStatus job) throws SchedulerException;
    }

    /**
     * The scheduler's own proof that a PID the job's catalog names is one of the job's processes
     * (the job's user can write the catalog, so the PID is only a claim).  Each adapter documents
     * its proof; it throws {@link #notTheJobs} otherwise.
     */
    @FunctionalInterface
    public interface ProcessProof {
        void prove(JobStatus job, JobProcess process) throws SchedulerException;
    }

    /** The one refusal of a {@link ProcessProof}. */
    public static SchedulerException notTheJobs(JobStatus job, JobProcess process, String why) {
        return new SchedulerException("process " + process.pid() + " named by the catalog of job " + job.jobId()
                + " is not one of the job's processes (" + why + ")");
    }

    public JobCheckpointer(Path cryoHome, NodeExecutor nodes, Authorizer authorizer, ProcessProof proof) {
        this.cryoHome = cryoHome;
        this.nodes = nodes;
        this.authorizer = authorizer;
        this.proof = proof;
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    /**
     * The process cr_run recorded for {@code job} in this run of it, checked against what the
     * scheduler says (active, on the recorded node, same restart count).
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
        if (job.restartCount() >= 0 && process.restartCount() != job.restartCount()) {
            throw new SchedulerException(job.describe() + ": its process has not started yet in this run (restart "
                    + job.restartCount() + ")");
        }
        return process;
    }

    /** {@link #processOf}, proven to be the job's by the scheduler's record: what may be checkpointed or signalled. */
    public JobProcess provenProcessOf(JobStatus job, JobDirectory dir) throws SchedulerException {
        JobProcess process = processOf(job, dir);
        proof.prove(job, process);
        return process;
    }

    /** Checkpoints the job's process, ends it as asked, and commits the context file. */
    public CheckpointRecord checkpoint(JobStatus job, JobDirectory dir, EndAction end) throws SchedulerException {
        authorizer.ensureMayControl(job);
        if (isDisabled(job, dir)) {
            SchedulerException e = new SchedulerException(job.describe() + ": checkpoints are disabled ('checkpoint enable "
                    + job.jobId() + "' allows them again)");
            recordError(dir, 1, e.getMessage());
            throw e;
        }
        Optional<AutoCloseable> lock;
        try {
            lock = dir.lock(LOCK_WAIT_MILLIS);
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot lock its catalog: " + e.getMessage(), e);
        }
        if (lock.isEmpty()) {
            throw new SchedulerException(job.describe() + ": another checkpoint of it did not finish within "
                    + LOCK_WAIT_MILLIS / 1000 + " s");
        }
        try (AutoCloseable held = lock.get()) {
            return checkpointEnabled(job, dir, end);
        } catch (SchedulerException e) {
            recordError(dir, e instanceof CheckpointFailed failed ? failed.status : 1, e.getMessage());
            throw e;
        } catch (Exception e) {   // closing the lock
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /** Whether checkpoints of the job are disabled; a planted marker is refused. */
    public static boolean isDisabled(JobStatus job, JobDirectory dir) throws SchedulerException {
        try {
            return dir.isDisabled();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /** How long a checkpoint waits for one already under way (a periodic one, say). */
    private static final long LOCK_WAIT_MILLIS = 60_000;

    /** Records a failure as the job's last checkpoint error (best effort). */
    public static void recordError(JobDirectory dir, int code, String message) {
        try {
            dir.recordError(code, message);
        } catch (IOException | RuntimeException ignored) {
            // the caller reports the error itself
        }
    }

    /** cr_checkpoint failed on the node: its exit status is the error code. */
    private static final class CheckpointFailed extends SchedulerException {
        private static final long serialVersionUID = 1L;
        final int status;

        CheckpointFailed(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    private CheckpointRecord checkpointEnabled(JobStatus job, JobDirectory dir, EndAction end) throws SchedulerException {
        JobProcess process = provenProcessOf(job, dir);
        long start = System.nanoTime();
        Path file;
        try {
            dir.create();
            file = dir.nextContext();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        NodeExecutor.Result result = nodes.run(process.node(), asJobUser(job, checkpointCommand(file, end, process.pid())),
                CHECKPOINT_TIMEOUT_SECONDS);
        if (result.status() != 0) {
            throw new CheckpointFailed("checkpoint of job " + job.jobId() + " (pid " + process.pid() + " on "
                    + process.node() + ") failed: " + SafeText.escape(result.lastLine(), 2 * SafeText.MAX_LENGTH),
                    result.status());
        }
        try {
            dir.commit(file);
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot record " + file.getFileName() + ": "
                    + e.getMessage(), e);
        }
        return new CheckpointRecord(job.jobId(), process.node(), process.pid(), file,
                (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * root checkpoints another user's job as that user ({@code runuser}): the engine then writes
     * the context file into the user's catalog with the user's rights only (a directory swapped
     * for a link cannot make it write elsewhere), the file is the user's for the restart, and
     * ptrace reaches the user's processes only, whatever PID the catalog names.
     */
    static List<String> asJobUser(JobStatus job, List<String> command) {
        if (!"root".equals(System.getProperty("user.name")) || "root".equals(job.user())) {
            return command;
        }
        List<String> full = new ArrayList<>(List.of("runuser", "-u", job.user(), "--"));
        full.addAll(command);
        return full;
    }

    private List<String> checkpointCommand(Path file, EndAction end, long pid) {
        List<String> command = new ArrayList<>(List.of(cryoHome.resolve("bin/cr_checkpoint").toString(),
                "-f", file.toString()));
        switch (end) {
            case RUNNING -> { }
            case STOP -> command.add("--stop");
            case TERM -> command.add("--term");
            case KILL -> command.add("--kill");
            default -> throw new IllegalArgumentException("unsupported end action " + end);
        }
        command.add(Long.toString(pid));
        return command;
    }

    /**
     * Only root or the job's owner may checkpoint a job.  (Slurm additionally lets SlurmUser and
     * operators act; those run as root here or through the scheduler's own permission check.)
     */
    public static void ensureMayControl(JobStatus job) throws SchedulerException {
        String me = System.getProperty("user.name");
        if (!"root".equals(me) && !me.equals(job.user())) {
            throw new SchedulerException(job.describe() + " belongs to " + job.user() + ", not to " + me);
        }
    }
}
