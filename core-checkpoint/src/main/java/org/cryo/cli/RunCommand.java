package org.cryo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.NodeExecutor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * cr_run: runs a command that may later be checkpointed.
 *
 * <p>Outside a batch job: a plain exec with the exit status passed through (Cryo needs no
 * preloaded library to checkpoint a process).  Inside one (Slurm, Grid Engine, PBS; see
 * {@link BatchJob}): it records the process's PID and node in the job's catalog directory so
 * that {@code cryo slurm checkpoint ...} finds it, and when the job is started again after a
 * requeue and a context file exists, it restarts from the latest one instead of running CMD from
 * the top.  After a vacate killed the process it waits for the scheduler to end the job, so the
 * job is requeued rather than seen to fail.
 */
@Command(name = "cr_run", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cr_run - run a command that will be checkpointed",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Runs CMD with its arguments and exits with its exit status. Cryo can checkpoint",
            "  any process, so outside a batch job cr_run is optional (BLCR job scripts work",
            "  unchanged).",
            "",
            "  Inside a Slurm, Grid Engine or PBS job, cr_run makes CMD checkpointable by the",
            "  scheduler: it records CMD's PID in the job's catalog ($CRYO_CHECKPOINT_DIR/JOBID,",
            "  default $SLURM_SUBMIT_DIR/.cryo/JOBID) for 'cryo slurm checkpoint', and when the",
            "  job runs again after a requeue (SLURM_RESTART_COUNT > 0) and a context file",
            "  exists, it restarts CMD from the latest context instead of from the top.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "N:the command's exit status (128+signal if a signal ended it)",
            "1:usage error",
            "127:the command could not be started",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {"  cr_run ./simulation -n 1000", ""})
final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    /** How long to wait for the scheduler to end a vacated job before giving up. */
    private static final long VACATE_WAIT_MILLIS = 300_000;
    /** How long a restored process may take to appear as the restore helper's child. */
    private static final long RESTORED_CHILD_WAIT_MILLIS = 30_000;

    @Override
    public Integer call() throws Exception {
        Map<String, String> environment = System.getenv();
        Optional<BatchJob> job = BatchJob.detect(environment);
        if (job.isEmpty()) {
            return start().waitFor();
        }
        JobDirectory dir = JobCatalog.configured(environment, job.get().workDir()).job(job.get().jobId()).create();
        dir.clearVacating();   // left by the vacate that ended the previous run
        Optional<Path> latest = job.get().mayBeRerun() ? dir.latest() : Optional.empty();
        int status = latest.isPresent() ? restartFrom(latest.get(), job.get(), dir) : runAndRecord(job.get(), dir);
        return waitIfVacated(dir, status);
    }

    private Process start() throws CliFailure {
        try {
            return new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw new CliFailure("cannot run '" + command.get(0) + "': " + reason(e), ExitStatus.CANNOT_RUN);
        }
    }

    private int runAndRecord(BatchJob job, JobDirectory dir) throws Exception {
        Process process = start();
        record(dir, new JobProcess(process.pid(), NodeExecutor.localHostName(), job.restartCount(), false));
        return process.waitFor();
    }

    /**
     * Restarts from the job's latest context.  The original PID is kept when it is free on this
     * node (the job may land on another node, where it may be taken).
     */
    private int restartFrom(Path context, BatchJob job, JobDirectory dir) throws Exception {
        Checkpointer checkpointer = Checkpointer.create();
        long originalPid = checkpointer.inspect(context).pid();
        boolean pidFree = !Files.exists(Path.of("/proc", Long.toString(originalPid)));
        System.err.println("cr_run: job " + job.jobId() + " restart " + job.restartCount() + ": restarting from "
                + context + (pidFree ? "" : " (pid " + originalPid + " is taken here: new pid)"));
        Process helper;
        try {
            helper = checkpointer.restart(context, RestartOptions.builder().restorePid(pidFree).build());
        } catch (CheckpointException e) {
            throw new CliFailure("cannot restart job " + job.jobId() + " from " + context + ": " + e.getMessage(),
                    ExitStatus.RESTORE_FAILED);
        }
        long restored = restoredChild(helper);
        if (restored > 0) {
            record(dir, new JobProcess(restored, NodeExecutor.localHostName(), job.restartCount(), true));
        }
        return helper.waitFor();
    }

    /** The restore helper stays the restored process's parent: its one child is the job's process. */
    private static long restoredChild(Process helper) throws InterruptedException {
        long deadline = System.currentTimeMillis() + RESTORED_CHILD_WAIT_MILLIS;
        while (helper.isAlive() && System.currentTimeMillis() < deadline) {
            Optional<ProcessHandle> child = helper.children().findFirst();
            if (child.isPresent()) {
                return child.get().pid();
            }
            Thread.sleep(20);
        }
        return -1;
    }

    private static void record(JobDirectory dir, JobProcess process) throws CliFailure {
        try {
            process.writeTo(dir.processFile());
        } catch (IOException e) {
            throw new CliFailure("cannot record the job's process in " + dir.processFile() + ": " + e.getMessage(),
                    ExitStatus.FAILED);
        }
    }

    /**
     * A vacate checkpoints and kills the process, then asks the scheduler to requeue the job.
     * Exiting now would let the job end (and count as failed) before the requeue arrives, so wait
     * for the scheduler to end this run; the vacating marker goes away if the vacate failed.
     */
    private static int waitIfVacated(JobDirectory dir, int status) throws InterruptedException {
        long deadline = System.currentTimeMillis() + VACATE_WAIT_MILLIS;
        boolean announced = false;
        while (dir.isVacating() && System.currentTimeMillis() < deadline) {
            if (!announced) {
                System.err.println("cr_run: job " + dir.jobId() + " was checkpointed and vacated; waiting to be requeued");
                announced = true;
            }
            Thread.sleep(200);
        }
        return status;
    }

    /** "Cannot run program "x": error=2, No such file or directory" -> "No such file or directory". */
    private static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        int errno = message.indexOf("error=");
        int comma = errno < 0 ? -1 : message.indexOf(", ", errno);
        return comma < 0 ? message : message.substring(comma + 2);
    }
}
