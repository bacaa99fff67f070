package org.cryo.sge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.cryo.sge.SgeAdapter;
import org.cryo.sge.SgeAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** cryo sge checkpoint OP JOBID: the verbs of {@code cryo slurm checkpoint}, on Grid Engine. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge checkpoint - checkpoint, vacate and restart a Grid Engine job",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  able     is the job checkpointable now (running under cr_run, Cryo's environment)?",
            "  create   checkpoint the job on its host and let it run on",
            "  requeue  migrate: qmod -sj; Cryo's migr_command checkpoints and ends the job,",
            "           Grid Engine reschedules it and it restarts from the context",
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
        SgeAdapter adapter = SgeAdapterProvider.createSge(System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        switch (operation) {
            case able -> out.println(able(adapter));
            case create -> out.println(describe(adapter.checkpoint(jobId)) + "; it runs on");
            case requeue -> out.println(describe(adapter.vacate(jobId, VacateMode.REQUEUE))
                    + "; Grid Engine reschedules it and it restarts from there");
            case vacate -> out.println(describe(adapter.vacate(jobId, VacateMode.HOLD))
                    + "; held until 'cryo sge checkpoint restart " + jobId + "'");
            case restart -> {
                adapter.restart(jobId);
                out.println("job " + jobId + ": released; it restarts from its latest context");
            }
            case disable -> {
                adapter.setCheckpointsEnabled(jobId, false);
                out.println("job " + jobId + ": checkpoints disabled");
            }
            case enable -> {
                adapter.setCheckpointsEnabled(jobId, true);
                out.println("job " + jobId + ": checkpoints enabled");
            }
            case error -> out.println(adapter.lastError(jobId)
                    .map(e -> "error(" + e.code() + "): " + e.message())
                    .orElse("error(0): no checkpoint error recorded for job " + jobId));
            default -> throw new IllegalStateException(operation.toString());
        }
        return 0;
    }

    private String able(SgeAdapter adapter) throws SchedulerException, IOException {
        JobStatus job = adapter.job(jobId);
        JobDirectory dir = adapter.checkedDirectory(job);
        if (dir.isDisabled()) {
            return "Disabled";
        }
        List<JobProcess> processes = adapter.processes(jobId);
        if (processes.isEmpty()) {
            throw new SchedulerException(job.describe() + " is not checkpointable now (not running, or its work is not under cr_run)");
        }
        JobProcess process = processes.get(0);
        return "Yes: job " + jobId + " pid " + process.pid() + " on " + process.node() + ", "
                + dir.contexts().size() + " context file(s) in " + dir.path();
    }

    static String describe(CheckpointRecord record) {
        if (record.file() == null) {
            return "job " + record.jobId() + ": migrated from " + record.node() + " in " + record.millis()
                    + " ms (its catalog is its owner's to read)";
        }
        return "job " + record.jobId() + ": checkpointed pid " + record.pid() + " on " + record.node() + " to "
                + record.file() + " in " + record.millis() + " ms";
    }
}
