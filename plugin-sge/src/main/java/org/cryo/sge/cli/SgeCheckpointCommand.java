package org.cryo.sge.cli;

import java.io.PrintWriter;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.CheckpointVerbs;
import org.cryo.sge.SgeAdapter;
import org.cryo.sge.SgeAdapterProvider;
import picocli.CommandLine.Command;

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
public final class SgeCheckpointCommand extends CheckpointVerbs {
    private SgeAdapter adapter;

    @Override
    protected JobControl control() throws SchedulerException {
        adapter = new SgeAdapterProvider().create(CryoConfig.effectiveEnvironment());
        return JobControl.of(adapter, CryoConfig.effectiveEnvironment());
    }

    @Override
    protected String requeued() {
        return "Grid Engine runs it again and it restarts from there";
    }

    @Override
    protected String held() {
        return "held until 'cryo sge checkpoint restart " + jobId + "'";
    }

    @Override
    protected String released() {
        return "it restarts from its latest context";
    }

    /** The owner (or root, or an operator) and Cryo's environment first: refused before the process is touched. */
    @Override
    protected void ensureVacatable(JobControl jobs, boolean hold, PrintWriter out) throws SchedulerException {
        super.ensureVacatable(jobs, hold, out);
        adapter.ensureMigratable(jobId);
    }
}
