package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    public JobCheckpointer(Path cryoHome, NodeExecutor nodes) {
        this.cryoHome = cryoHome;
        this.nodes = nodes;
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
                    + " is not checkpointable: no process recorded in " + dir.path() + " (run its work under cr_run)"));
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot read " + dir.processFile() + ": " + e.getMessage(), e);
        }
        if (!job.nodes().contains(process.node())) {
            throw new SchedulerException(job.describe() + ": recorded process " + process.pid() + " ran on "
                    + process.node() + ", not on the job's nodes (stale record?)");
        }
        if (job.restartCount() >= 0 && process.restartCount() != job.restartCount()) {
            throw new SchedulerException(job.describe() + ": its process has not started yet in this run (restart "
                    + job.restartCount() + ")");
        }
        return process;
    }

    /** Checkpoints the job's process, ends it as asked, and commits the context file. */
    public CheckpointRecord checkpoint(JobStatus job, JobDirectory dir, EndAction end) throws SchedulerException {
        ensureMayControl(job);
        JobProcess process = processOf(job, dir);
        long start = System.nanoTime();
        Path file;
        try {
            dir.create();
            file = dir.nextContext();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot use " + dir.path() + ": " + e.getMessage(), e);
        }
        NodeExecutor.Result result = nodes.run(process.node(), checkpointCommand(file, end, process.pid()),
                CHECKPOINT_TIMEOUT_SECONDS);
        if (result.status() != 0) {
            throw new SchedulerException("checkpoint of job " + job.jobId() + " (pid " + process.pid() + " on "
                    + process.node() + ") failed: " + result.lastLine());
        }
        try {
            dir.commit(file);
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot record " + file + ": " + e.getMessage(), e);
        }
        return new CheckpointRecord(job.jobId(), process.node(), process.pid(), file,
                (System.nanoTime() - start) / 1_000_000);
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
