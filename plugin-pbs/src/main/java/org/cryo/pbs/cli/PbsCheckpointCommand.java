package org.cryo.pbs.cli;

import java.io.PrintWriter;
import org.cryo.config.CryoConfig;
import org.cryo.pbs.CheckpointAttribute;
import org.cryo.pbs.PbsAdapter;
import org.cryo.pbs.PbsAdapterProvider;
import org.cryo.pbs.PbsJob;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.CheckpointVerbs;
import picocli.CommandLine.Command;

/** cryo pbs checkpoint OP JOBID: the verbs of {@code cryo slurm checkpoint}, on PBS, over the core's workflows. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo pbs checkpoint - checkpoint, vacate and restart a PBS job",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  able     is the job checkpointable now (running under cr_run)?",
            "  create   checkpoint the job on its node and let it run on",
            "  requeue  checkpoint on its node, then qrerun (operators): the script runs again,",
            "           anywhere, and cr_run restarts from the context",
            "  vacate   checkpoint on its node, then qhold: the MoM's checkpoint_abort action ends",
            "           it (H/60); a job PBS restarted (R/41) first gets a qsig -s suspend/resume",
            "  restart  release a vacated job (qrls); the MoM's restart action restores it",
            "  disable  refuse checkpoints of the job (create, requeue, vacate, the MoM's actions)",
            "  enable   allow them again",
            "  error    print the last checkpoint error recorded for the job: error(CODE): MESSAGE",
            "  Only the job's owner, root or a PBS manager or operator may act on it.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:done", "1:usage error", "2:the operation failed (the reason is on stderr); the job is untouched"})
public final class PbsCheckpointCommand extends CheckpointVerbs {
    private PbsAdapter adapter;

    @Override
    protected JobControl control() throws SchedulerException {
        adapter = new PbsAdapterProvider().create(CryoConfig.effectiveEnvironment());
        PbsAdapter.validJobId(jobId);
        return JobControl.of(adapter, CryoConfig.effectiveEnvironment());
    }

    @Override
    protected String requeued() {
        return "qrerun: PBS runs it again and it restarts from there";
    }

    @Override
    protected String held() {
        return "held until 'cryo pbs checkpoint restart " + jobId + "' (or qrls)";
    }

    @Override
    protected String released() {
        return "the MoM's restart action restores it from its latest context";
    }

    /** Who asks, then, for a vacate, what PBS needs to vacate by qhold: a job it checkpoints, past R/41. */
    @Override
    protected void ensureVacatable(JobControl jobs, boolean hold, PrintWriter out) throws SchedulerException {
        super.ensureVacatable(jobs, hold, out);
        if (!hold) {
            return;
        }
        PbsJob job = adapter.pbsJob(jobId);
        if (job.neverCheckpointed()) {
            throw new SchedulerException("job " + jobId + " was submitted with -c n: PBS would hold it without"
                    + " vacating it; not vacated");
        }
        adapter.makeHoldable(jobId).ifPresent(out::println);
    }

    @Override
    protected String ableDetails() throws SchedulerException {
        String pbs;
        try {
            pbs = CheckpointAttribute.parse(adapter.pbsJob(jobId).checkpoint()).describe();
        } catch (IllegalArgumentException unknown) {
            pbs = "as its Checkpoint attribute says";
        }
        return "; PBS checkpoints it " + pbs;
    }
}
