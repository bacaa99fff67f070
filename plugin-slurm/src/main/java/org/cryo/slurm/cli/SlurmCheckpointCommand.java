package org.cryo.slurm.cli;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.cryo.slurm.SlurmAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo slurm checkpoint OP JOBID [ImageDir=DIR] [MaxWait=S] [StickToNodes]: the operations of
 * Slurm 19.05's {@code scontrol checkpoint}, with the same meaning.
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo slurm checkpoint - scontrol checkpoint, as in Slurm 19.05",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  able     is the job checkpointable now (running under cr_run)?",
            "  create   checkpoint the job and let it run on",
            "  requeue  checkpoint, end the process, requeue the job; it restarts from the context",
            "  vacate   checkpoint, end the process, requeue the job held (see restart)",
            "  restart  release a vacated job so that it restarts from its latest context",
            "  disable  refuse checkpoints of the job (create, requeue, vacate, periodic) from now on",
            "  enable   allow them again",
            "  error    print the last checkpoint error recorded for the job: error(CODE): MESSAGE",
            "  ImageDir=DIR uses DIR as the catalog ($CRYO_CHECKPOINT_DIR); MaxWait and",
            "  StickToNodes are accepted for compatibility and ignored.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:done", "1:usage error", "2:the operation failed (the reason is on stderr); the job is untouched"})
public final class SlurmCheckpointCommand implements Callable<Integer> {
    enum Operation { able, create, requeue, vacate, restart, disable, enable, error }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OP", description = "able, create, requeue, vacate, restart, disable, enable, error")
    Operation operation;

    @Parameters(index = "1", paramLabel = "JOBID", description = "The Slurm job id.")
    String jobId;

    @Parameters(index = "2..*", paramLabel = "OPTION", description = "ImageDir=DIR, MaxWait=S, StickToNodes")
    List<String> options = List.of();

    @Override
    public Integer call() throws Exception {
        JobControl adapter = JobControl.open(SlurmAdapterProvider.NAME, environment());
        PrintWriter out = spec.commandLine().getOut();
        switch (operation) {
            case able -> out.println(able(adapter));
            case create -> out.println(describe("checkpointed", adapter.checkpoint(jobId)) + "; it runs on");
            case requeue -> out.println(describe("checkpointed", adapter.vacate(jobId, VacateMode.REQUEUE))
                    + "; requeued, it restarts from there");
            case vacate -> out.println(describe("checkpointed", adapter.vacate(jobId, VacateMode.HOLD))
                    + "; requeued held until 'cryo slurm checkpoint restart " + jobId + "'");
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

    /** The environment, with ImageDir=DIR as the catalog root. */
    private Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>(System.getenv());
        for (String option : options) {
            if (option.startsWith("ImageDir=")) {
                environment.put("CRYO_CHECKPOINT_DIR", option.substring("ImageDir=".length()));
            } else if (!option.startsWith("MaxWait=") && !option.equals("StickToNodes")) {
                throw new IllegalArgumentException("unknown option '" + option + "' (ImageDir=DIR, MaxWait=S, StickToNodes)");
            }
        }
        return environment;
    }

    private String able(JobControl jobs) throws SchedulerException {
        JobControl.Ability able = jobs.able(jobId);
        if (able.disabled()) {
            return "Disabled";   // as Slurm 19.05 printed it
        }
        return "Yes: job " + jobId + " pid " + able.process().pid() + " on " + able.process().node() + ", "
                + able.contexts() + " context file(s) in " + able.directory();
    }

    private static String describe(String what, CheckpointRecord record) {
        return "job " + record.jobId() + ": " + what + " pid " + record.pid() + " on " + record.node() + " to "
                + record.file() + " in " + record.millis() + " ms";
    }
}
