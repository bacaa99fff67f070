package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.cryo.scheduler.JobControl;
import org.cryo.sge.SgeAdapter;
import org.cryo.sge.SgeAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo sge checkpoint OP JOBID: the verbs of {@code cryo slurm checkpoint}, on Grid Engine, over
 * the core's workflows ({@link JobControl}).
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge checkpoint - checkpoint, vacate and restart a Grid Engine job",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  able     is the job checkpointable now (running under cr_run, Cryo's environment)?",
            "  create   checkpoint the job on its host and let it run on",
            "  requeue  checkpoint on its host, end it, qmod -rj: Grid Engine runs it again and",
            "           it restarts from the context (qmod -sj does the same through Grid Engine)",
            "  vacate   the same, held (qhold first): it waits until 'restart'",
            "  restart  release a vacated job (qrls); it restarts from its latest context",
            "  disable  refuse checkpoints of the job (create, requeue, vacate, Grid Engine's) from now on",
            "  enable   allow them again",
            "  error    print the last checkpoint error recorded for the job: error(CODE): MESSAGE",
            "  Only the job's owner, root or a Grid Engine manager or operator may act on it.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:done", "1:usage error", "2:the operation failed (the reason is on stderr); the job is untouched"})
public final class SgeCheckpointCommand implements Callable<Integer> {
    enum Operation { able, create, requeue, vacate, restart, disable, enable, error }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OP", description = "able, create, requeue, vacate, restart, disable, enable, error")
    Operation operation;

    @Parameters(index = "1", paramLabel = "JOBID", description = "The Grid Engine job number.")
    String jobId;

    @Override
    public Integer call() throws Exception {
        SgeAdapter adapter = new SgeAdapterProvider().create(System.getenv());
        JobControl jobs = JobControl.of(adapter, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        switch (operation) {
            case able -> out.println(able(jobs));
            case create -> out.println(describe(jobs.checkpoint(jobId)) + "; it runs on");
            case requeue -> {
                vacatable(jobs, adapter);
                out.println(describe(jobs.vacate(jobId, VacateMode.REQUEUE))
                        + "; Grid Engine runs it again and it restarts from there");
            }
            case vacate -> {
                vacatable(jobs, adapter);
                out.println(describe(jobs.vacate(jobId, VacateMode.HOLD))
                        + "; held until 'cryo sge checkpoint restart " + jobId + "'");
            }
            case restart -> {
                jobs.restart(jobId);
                out.println("job " + jobId + ": released; it restarts from its latest context");
            }
            case disable -> {
                jobs.setCheckpointsEnabled(jobId, false);
                out.println("job " + jobId + ": checkpoints disabled");
            }
            case enable -> {
                jobs.setCheckpointsEnabled(jobId, true);
                out.println("job " + jobId + ": checkpoints enabled");
            }
            case error -> out.println(jobs.lastError(jobId)
                    .map(e -> "error(" + e.code() + "): " + e.message())
                    .orElse("error(0): no checkpoint error recorded for job " + jobId));
            default -> throw new IllegalStateException(operation.toString());
        }
        return 0;
    }

    /** The owner (or root, or an operator) and Cryo's environment first: refused before the process is touched. */
    private void vacatable(JobControl jobs, SgeAdapter adapter) throws SchedulerException {
        jobs.permissions().ensureMayControl(jobs.job(jobId));
        adapter.ensureMigratable(jobId);
    }

    private String able(JobControl jobs) throws SchedulerException {
        JobControl.Ability ability = jobs.able(jobId);
        if (ability.disabled()) {
            return "Disabled";
        }
        JobProcess process = ability.process();
        return "Yes: job " + jobId + " pid " + process.pid() + " on " + process.node() + ", "
                + ability.contexts() + " context file(s) in " + ability.directory();
    }

    static String describe(CheckpointRecord record) {
        return "job " + record.jobId() + ": checkpointed pid " + record.pid() + " on " + record.node() + " to "
                + record.file() + " in " + record.millis() + " ms";
    }
}
