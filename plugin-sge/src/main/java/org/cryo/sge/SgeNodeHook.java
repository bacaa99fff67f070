package org.cryo.sge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.SafeText;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * What Cryo's checkpointing environment runs on the job's host ({@code cryo sge hook KIND
 * $job_id $job_pid}), as the job's owner and with the job's environment: Grid Engine drives Cryo.
 * The checkpoint runs in this JVM's own engine helper (no second JVM per job).
 * <ul>
 *   <li>checkpoint (ckpt_command, {@code when m}): checkpoint the process cr_run recorded, let it run on;</li>
 *   <li>migrate (migr_command: {@code qmod -sj}, a queue or threshold suspension, an execd shutdown):
 *       stop the job script, checkpoint and kill the work, end the job's process group; Grid Engine
 *       then reschedules the job (RESTARTED=2) and cr_run restarts from the context.  If the
 *       checkpoint fails the job script is continued and the work runs on, untouched;</li>
 *   <li>clean (clean_command, after the job ended): the job's catalog goes (contexts, records).</li>
 * </ul>
 * The process cr_run recorded must descend from {@code $job_pid}, the job's own process as the
 * shepherd started it (the catalog is the user's to write: its PID is only a claim).
 */
public final class SgeNodeHook {
    /** How long a checkpoint waits for one under way (a periodic one) to finish. */
    private static final long LOCK_WAIT_MILLIS = 60_000;

    private final Map<String, String> environment;
    private final Checkpointer checkpointer;
    private final String me;

    public SgeNodeHook(Map<String, String> environment, Checkpointer checkpointer, String me) {
        this.environment = Map.copyOf(environment);
        this.checkpointer = checkpointer;
        this.me = me;
    }

    /**
     * The job's catalog, where cr_run keeps it: {@code $CRYO_CHECKPOINT_DIR/JOBID}, else
     * {@code $SGE_O_WORKDIR/.cryo/JOBID} (the submit directory, which the admin side reads from
     * {@code qstat -j}).
     */
    public JobDirectory directory(String jobId) {
        String workDir = environment.getOrDefault("SGE_O_WORKDIR", "");
        return JobCatalog.configured(environment, Path.of(workDir.isBlank() ? "/" : workDir)).job(jobId, me);
    }

    /** ckpt_command: checkpoint, keep running. */
    public CheckpointRecord checkpoint(String jobId, long jobPid) throws SchedulerException {
        return checkpoint(jobId, jobPid, EndAction.RUNNING);
    }

    /** migr_command: the job script stopped, the work checkpointed and killed, the job's process group ended. */
    public CheckpointRecord migrate(String jobId, long jobPid) throws SchedulerException {
        validate(jobId, jobPid);
        signal("STOP", Long.toString(jobPid));   // the script must not run on once its work is gone
        CheckpointRecord record;
        try {
            record = checkpoint(jobId, jobPid, EndAction.KILL);
        } catch (SchedulerException e) {
            signal("CONT", Long.toString(jobPid));
            throw e;
        }
        endJob(jobPid);
        return record;
    }

    /** clean_command: the job has ended; its context files and records are of no use any more. */
    public int clean(String jobId) throws SchedulerException {
        validate(jobId, 2);
        JobDirectory dir = directory(jobId);
        try {
            dir.verify();
            return CatalogCleaner.removeJob(dir);
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    private CheckpointRecord checkpoint(String jobId, long jobPid, EndAction end) throws SchedulerException {
        validate(jobId, jobPid);
        JobDirectory dir = directory(jobId);
        try {
            dir.verify();
            if (dir.isDisabled()) {
                throw recorded(dir, new SchedulerException("job " + jobId + ": checkpoints are disabled ('cryo sge"
                        + " checkpoint enable " + jobId + "' allows them again)"));
            }
            Optional<AutoCloseable> lock = dir.lock(LOCK_WAIT_MILLIS);
            if (lock.isEmpty()) {
                throw recorded(dir, new SchedulerException("job " + jobId + ": another checkpoint of it did not finish within "
                        + LOCK_WAIT_MILLIS / 1000 + " s"));
            }
            try (AutoCloseable held = lock.get()) {
                return checkpointLocked(jobId, jobPid, dir, end);
            }
        } catch (SchedulerException e) {
            throw e;
        } catch (Exception e) {   // IOException, closing the lock
            throw recorded(dir, new SchedulerException("job " + jobId + ": " + e.getMessage(), e));
        }
    }

    private CheckpointRecord checkpointLocked(String jobId, long jobPid, JobDirectory dir, EndAction end)
            throws SchedulerException, IOException {
        JobProcess process = dir.process().orElseThrow(() -> recorded(dir, new SchedulerException("job " + jobId
                + " is not checkpointable: no process recorded in " + SafeText.escape(dir.path().toString())
                + " (run its work under cr_run)")));
        String here = NodeExecutor.localHostName();
        if (!process.node().equals(here)) {
            throw recorded(dir, new SchedulerException("job " + jobId + ": its recorded process ran on "
                    + SafeText.escape(process.node()) + ", not here on " + here + " (its cr_run has not started yet?)"));
        }
        if (!descendsFrom(process.pid(), jobPid)) {
            throw recorded(dir, new SchedulerException("job " + jobId + ": process " + process.pid()
                    + " named by its catalog is not one of the job's processes (not under job pid " + jobPid
                    + "; its cr_run has not started yet?)"));
        }
        long start = System.nanoTime();
        Path file = dir.create().nextContext();
        try {
            CheckpointResult result = checkpointer.checkpoint(process.pid(),
                    CheckpointOptions.builder().file(file).endAction(end).build());
            dir.commit(result.file());
        } catch (CheckpointException e) {
            throw recorded(dir, new SchedulerException("checkpoint of job " + jobId + " (pid " + process.pid() + " on "
                    + here + ") failed: " + e.getMessage(), e));
        }
        return new CheckpointRecord(jobId, here, process.pid(), file, (System.nanoTime() - start) / 1_000_000);
    }

    /** Whether {@code pid} is {@code ancestor} or one of its descendants (parent links in /proc). */
    static boolean descendsFrom(long pid, long ancestor) {
        long p = pid;
        for (int depth = 0; p > 1 && depth < 4096; depth++) {
            if (p == ancestor) {
                return true;
            }
            p = parentOf(p);
        }
        return false;
    }

    /** The parent's PID from /proc/PID/stat (after the command name, which may hold blanks and parentheses). */
    static long parentOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(after[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The job's process group (the shepherd makes the job a group leader), else the job's process alone. */
    private static void endJob(long jobPid) {
        long group = processGroupOf(jobPid);
        signal("KILL", group == jobPid ? "-" + jobPid : Long.toString(jobPid));
    }

    static long processGroupOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(after[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** kill(1): Java has no kill of a process group. */
    private static void signal(String signal, String target) {
        try {
            new ProcessBuilder(List.of("kill", "-" + signal, "--", target)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            System.err.println("cryo: cannot send SIG" + signal + " to " + target + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void validate(String jobId, long jobPid) {
        if (jobId == null || !jobId.matches("\\d{1,12}")) {
            throw new IllegalArgumentException("invalid Grid Engine job id '" + SafeText.escape(String.valueOf(jobId)) + "'");
        }
        if (jobPid <= 1) {
            throw new IllegalArgumentException("invalid job pid " + jobPid);
        }
    }

    private static SchedulerException recorded(JobDirectory dir, SchedulerException e) {
        JobCheckpointer.recordError(dir, 1, e.getMessage());
        return e;
    }
}
