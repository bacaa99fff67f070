package org.cryo.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo job checkpoint|migrate|restart|clean [--scheduler NAME] [JOBID]: the entry points a
 * scheduler's own hooks call on the job's node (Grid Engine's checkpointing environment, PBS MoM
 * actions), running the core workflows of {@link JobControl} for the job the scheduler names.
 */
@Command(name = "job", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        subcommands = {JobCommand.Checkpoint.class, JobCommand.Migrate.class, JobCommand.Restart.class,
            JobCommand.Clean.class},
        headerHeading = "NAME%n", header = "  cryo job - checkpoint, migrate, restart or clean a batch job on its node",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  For a scheduler's hooks on the node that runs the job: each names the job (JOBID,",
            "  default the job whose environment this runs in) and its scheduler (--scheduler,",
            "  default the one whose job this environment is). The job's work must run under",
            "  cr_run. Only the job's owner, root or the scheduler's operators may act on it; the",
            "  recorded process is proven the job's by the scheduler before it is touched.",
        },
        commandListHeading = "%nCOMMANDS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:done", "1:usage error", "2:the operation failed (the reason is on stderr); the job is untouched"},
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  ckpt_command   /usr/bin/cryo job checkpoint --scheduler gridengine $job_id",
            "  migr_command   /usr/bin/cryo job migrate --scheduler gridengine $job_id",
            "  clean_command  /usr/bin/cryo job clean --scheduler gridengine $job_id",
            "",
        })
final class JobCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (checkpoint, migrate, restart, clean; see 'cryo job --help')");
    }

    /** The job named on the command line (or by the environment) and the workflows of its scheduler. */
    static final class JobOptions {
        @Option(names = "--scheduler", paramLabel = "NAME",
                description = "The job's scheduler (an adapter on the class path: ${COMPLETION-CANDIDATES}).",
                completionCandidates = Schedulers.class)
        String scheduler;

        @Parameters(index = "0", arity = "0..1", paramLabel = "JOBID",
                description = "The job (default: the job this environment belongs to).")
        String jobId;

        /** The scheduler: --scheduler, else the one whose job this environment is. */
        String scheduler(Map<String, String> environment) {
            if (scheduler != null) {
                return scheduler;
            }
            return SchedulerAdapterProvider.detecting(environment).map(SchedulerAdapterProvider::scheduler)
                    .orElseThrow(() -> new IllegalArgumentException("not in a batch job: give --scheduler NAME"
                            + " (there are: " + String.join(", ", Schedulers.names()) + ")"));
        }

        /** The job id: JOBID, else the job this environment belongs to. */
        String jobId(Map<String, String> environment) {
            if (jobId != null) {
                return jobId;
            }
            return BatchJob.detect(environment).map(BatchJob::jobId)
                    .orElseThrow(() -> new IllegalArgumentException("not in a batch job: give JOBID"));
        }

        JobControl control(Map<String, String> environment) throws SchedulerException {
            return JobControl.open(scheduler(environment), environment);
        }
    }

    /** The schedulers with an adapter on the class path, for --help. */
    static final class Schedulers implements Iterable<String> {
        static java.util.List<String> names() {
            return SchedulerAdapterProvider.all().stream().map(SchedulerAdapterProvider::scheduler).toList();
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return names().iterator();
        }
    }

    @Command(name = "checkpoint", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = "Checkpoint the job's process on this node and let it run on (a checkpoint hook).")
    static final class Checkpoint implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        JobOptions job;

        @Override
        public Integer call() throws Exception {
            Map<String, String> environment = CryoConfig.effectiveEnvironment();
            CheckpointRecord record = job.control(environment).checkpointHere(job.jobId(environment));
            spec.commandLine().getOut().println(record.describe() + "; it runs on");
            return ExitStatus.OK;
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = {"Checkpoint the job's process on this node and end it (a migration hook): the",
                "scheduler, which called, runs the job again, and cr_run restarts it from the context."})
    static final class Migrate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        JobOptions job;

        @Override
        public Integer call() throws Exception {
            Map<String, String> environment = CryoConfig.effectiveEnvironment();
            CheckpointRecord record = job.control(environment).migrateHere(job.jobId(environment));
            spec.commandLine().getOut().println(record.describe() + " and ended it");
            return ExitStatus.OK;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = {"Restart the job's process on this node from its latest context (a restart hook),",
                "record it as the job's process, wait for it and exit with its status."})
    static final class Restart implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        JobOptions job;

        @Override
        public Integer call() throws Exception {
            Map<String, String> environment = CryoConfig.effectiveEnvironment();
            JobControl control = job.control(environment);
            String jobId = job.jobId(environment);
            Path context = control.contextToRestartHere(jobId);
            JobStatus status = control.job(jobId);
            Checkpointer checkpointer = Checkpointer.create();
            long originalPid = checkpointer.inspect(context).first().pid();
            boolean pidFree = originalPid > 0 && !Files.exists(Path.of("/proc", Long.toString(originalPid)));
            Process helper;
            try {
                helper = checkpointer.restart(context, RestartOptions.builder().restorePid(pidFree).build());
            } catch (CheckpointException e) {
                throw new CliFailure("cannot restart job " + jobId + " from " + context + ": " + e.getMessage(),
                        ExitStatus.RESTORE_FAILED);
            }
            long restored = RunCommand.restoredChild(helper);
            if (restored > 0) {
                JobDirectory dir = control.directory(status);
                dir.recordProcess(new JobProcess(restored, NodeExecutor.localHostName(), status.run(), true));
                spec.commandLine().getErr().println("cryo: job " + jobId + ": restarted from " + context + " as pid " + restored);
            }
            return helper.waitFor();
        }
    }

    @Command(name = "clean", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = {"Retention once a run of the job is over (a clean hook): drop the run's records",
                "and all but the last --keep context files; --keep 0 removes the job's catalog directory."})
    static final class Clean implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        JobOptions job;

        @Option(names = "--keep", paramLabel = "N", defaultValue = "-1",
                description = "Context files to keep (default: $CRYO_KEEP_CHECKPOINTS, else 3; 0: remove all).")
        int keep;

        @Override
        public Integer call() throws Exception {
            Map<String, String> environment = CryoConfig.effectiveEnvironment();
            int kept = keep >= 0 ? keep : JobCatalog.keepFrom(environment);
            String jobId = job.jobId(environment);
            int removed = job.control(environment).clean(jobId, kept);
            PrintWriter out = spec.commandLine().getOut();
            out.println("job " + jobId + ": " + removed + " file(s) removed, " + (kept == 0 ? "catalog removed"
                    : "last " + kept + " context file(s) kept"));
            return ExitStatus.OK;
        }
    }
}
