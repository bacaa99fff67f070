package org.cryo.slurm.cli;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.CheckpointVerbs;
import org.cryo.slurm.SlurmAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

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
public final class SlurmCheckpointCommand extends CheckpointVerbs {
    @Parameters(index = "2..*", paramLabel = "OPTION", description = "ImageDir=DIR, MaxWait=S, StickToNodes")
    List<String> options = List.of();

    @Override
    protected JobControl control() throws SchedulerException {
        return JobControl.open(SlurmAdapterProvider.NAME, environment());
    }

    @Override
    protected String requeued() {
        return "requeued, it restarts from there";
    }

    @Override
    protected String held() {
        return "requeued held until 'cryo slurm checkpoint restart " + jobId + "'";
    }

    @Override
    protected String released() {
        return "it restarts from its latest context";
    }

    /** JobControl's own checks decide (Slurm needs nothing more before a requeue). */
    @Override
    protected void ensureVacatable(JobControl jobs, boolean hold, PrintWriter out) {
    }

    /** The environment, with ImageDir=DIR as the catalog root. */
    private Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>(CryoConfig.effectiveEnvironment());
        for (String option : options) {
            if (option.startsWith("ImageDir=")) {
                environment.put("CRYO_CHECKPOINT_DIR", option.substring("ImageDir=".length()));
            } else if (!option.startsWith("MaxWait=") && !option.equals("StickToNodes")) {
                throw new IllegalArgumentException("unknown option '" + option + "' (ImageDir=DIR, MaxWait=S, StickToNodes)");
            }
        }
        return environment;
    }
}
