package org.cryo.scheduler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.cryo.api.EndAction;

/**
 * A checkpoint whose processes the engine keeps frozen ({@code cryo-engine checkpoint --hold}
 * on the job's node) while the caller asks the scheduler to take the job back: the context file
 * is committed, the job's lock is held, and nothing of the job runs, not even after a SIGCONT
 * (Slurm's requeue sends one before it signals the job: a stopped process would run on and
 * redo work done after the context was taken).  Then {@link #end} (SIGKILL, by the engine that
 * holds exactly the processes it checkpointed: no PID can have been reused) or
 * {@link #release} (they run on exactly as before).  If this JVM dies, the engine's stdin ends
 * and it lets them run on: a failed vacate never harms the job.
 */
public final class HeldCheckpoint implements AutoCloseable {
    /** How long the engine may take to end or let go of the processes once told. */
    private static final long DECISION_TIMEOUT_SECONDS = 60;
    private static final String END_OF_OUTPUT = "\u0000end";

    private final JobStatus job;
    private final JobDirectory dir;
    private final JobProcess process;
    private final Path file;
    private final Process helper;
    private final LinkedBlockingQueue<String> lines;
    private final StringBuilder output = new StringBuilder();
    private final AutoCloseable lock;
    private final long startNanos;
    private boolean decided;

    private HeldCheckpoint(JobStatus job, JobDirectory dir, JobProcess process, Path file, Process helper,
                           LinkedBlockingQueue<String> lines, AutoCloseable lock, long startNanos) {
        this.job = job;
        this.dir = dir;
        this.process = process;
        this.file = file;
        this.helper = helper;
        this.lines = lines;
        this.lock = lock;
        this.startNanos = startNanos;
    }

    /**
     * Runs the engine with end action HOLD on the process's node and waits for its HELD line;
     * then the context file is committed.  If the engine ends without holding (the checkpoint
     * failed: the processes run on as before), its error is thrown.
     */
    static HeldCheckpoint start(JobCheckpointer checkpointer, JobStatus job, JobDirectory dir, JobProcess process,
                                AutoCloseable lock) throws SchedulerException {
        long start = System.nanoTime();
        Path file;
        try {
            dir.create();
            file = dir.nextContext();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        Process helper = checkpointer.nodes().startAsJobUser(job, process.node(),
                checkpointer.engineCommand(job, process, file, EndAction.HOLD));
        HeldCheckpoint held = new HeldCheckpoint(job, dir, process, file, helper, readLines(helper), lock, start);
        held.awaitHeld();
        return held;
    }

    /** The checkpoint taken (its file is committed). */
    public CheckpointRecord record() {
        return new CheckpointRecord(job.jobId(), process.node(), process.pid(), file,
                (System.nanoTime() - startNanos) / 1_000_000);
    }

    /** SIGKILL to every process held: the job's processes end, none of them having run since the checkpoint. */
    public void end() throws SchedulerException {
        decide("KILL", "end");
    }

    /** The processes run on exactly as before the checkpoint. */
    public void release() throws SchedulerException {
        decide("CONT", "let go of");
    }

    /** Lets the processes run on if nothing was decided, and gives the job's lock back. */
    @Override
    public void close() {
        if (!decided) {
            try {
                release();
            } catch (SchedulerException ignored) {
                // the engine lets them go when its input ends or its wait times out
            }
        }
        closeQuietly(lock);
    }

    static void closeQuietly(AutoCloseable lock) {
        try {
            lock.close();
        } catch (Exception ignored) {
            // a lock file left behind is taken over by the next checkpoint
        }
    }

    private void awaitHeld() throws SchedulerException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JobCheckpointer.CHECKPOINT_TIMEOUT_SECONDS);
        for (String line = next(deadline); line != null; line = next(deadline)) {
            if (line.equals("HELD")) {
                commit();
                return;
            }
        }
        // no HELD: the checkpoint failed and the engine let the processes go; its verdict says why
        decided = true;
        JobCheckpointer.ensureCheckpointed(job, process, file, finish());
        throw new SchedulerException("checkpoint of job " + job.jobId() + " on " + process.node()
                + " ended without holding its processes: " + output.toString().strip().replace('\n', ' '));
    }

    private void commit() throws SchedulerException {
        try {
            dir.commit(file, (System.nanoTime() - startNanos) / 1_000_000);
        } catch (IOException e) {
            SchedulerException failed = new SchedulerException("job " + job.jobId() + ": cannot record "
                    + file.getFileName() + ": " + e.getMessage(), e);
            try {
                release();   // a checkpoint that is not recorded is not one: the job runs on
            } catch (SchedulerException ignored) {
                // the engine lets them go when its input ends
            }
            throw failed;
        }
    }

    private void decide(String word, String verb) throws SchedulerException {
        if (decided) {
            return;
        }
        decided = true;
        try (OutputStream in = helper.getOutputStream()) {
            in.write((word + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the engine is gone or closed its input: its verdict below tells
        }
        NodeExecutor.Result result = finish();
        try {
            JobCheckpointer.ensureCheckpointed(job, process, file, result);
        } catch (SchedulerException e) {
            throw new SchedulerException("job " + job.jobId() + ": cannot " + verb + " its held processes on "
                    + process.node() + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the engine to exit: its status and everything it printed. */
    private NodeExecutor.Result finish() throws SchedulerException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DECISION_TIMEOUT_SECONDS);
        try {
            while (next(deadline) != null) {
                // collects the rest of the output
            }
            if (!helper.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
                helper.destroyForcibly();   // its tracer then lets the processes go as they stood
                throw new SchedulerException("the engine holding job " + job.jobId() + " on " + process.node()
                        + " did not finish within " + DECISION_TIMEOUT_SECONDS + " s");
            }
            return new NodeExecutor.Result(helper.exitValue(), output.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while waiting for the engine on " + process.node(), e);
        }
    }

    /** The engine's next line, or null at the end of its output; a line not in time is a failure. */
    private String next(long deadlineNanos) throws SchedulerException {
        try {
            String line = lines.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                helper.destroyForcibly();
                throw new SchedulerException("checkpoint of job " + job.jobId() + " on " + process.node()
                        + " did not answer in time");
            }
            if (line.equals(END_OF_OUTPUT)) {
                lines.add(END_OF_OUTPUT);   // every later call sees the end too
                return null;
            }
            output.append(line).append('\n');
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while waiting for the engine on " + process.node(), e);
        }
    }

    /** The engine's output, line by line, from a reader thread (so that waits have deadlines). */
    private static LinkedBlockingQueue<String> readLines(Process helper) {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(helper.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the end of its output
            }
            lines.add(END_OF_OUTPUT);
        }, "cryo-held-checkpoint");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
