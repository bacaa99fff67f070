package org.cryo.pbs.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.cryo.pbs.CheckpointAttribute;
import org.cryo.pbs.PbsAdapter;
import org.cryo.pbs.PbsAdapterProvider;
import org.cryo.pbs.PbsJob;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

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
public final class PbsCheckpointCommand implements Callable<Integer> {
    enum Operation { able, create, requeue, vacate, restart, disable, enable, error }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OP", description = "able, create, requeue, vacate, restart, disable, enable, error")
    Operation operation;

    @Parameters(index = "1", paramLabel = "JOBID", description = "The PBS job id (42.server).")
    String jobId;

    @Override
    public Integer call() throws Exception {
        PbsAdapter adapter = new PbsAdapterProvider().create(System.getenv());
        PbsAdapter.validJobId(jobId);
        JobControl jobs = JobControl.of(adapter, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        switch (operation) {
            case able -> out.println(able(jobs, adapter));
            case create -> out.println(describe(jobs.checkpoint(jobId)) + "; it runs on");
            case requeue -> {
                jobs.permissions().ensureMayControl(jobs.job(jobId));
                out.println(describe(jobs.vacate(jobId, VacateMode.REQUEUE))
                        + "; qrerun: PBS runs it again and it restarts from there");
            }
            case vacate -> {
                vacatable(jobs, adapter, out);
                out.println(describe(jobs.vacate(jobId, VacateMode.HOLD))
                        + "; held until 'cryo pbs checkpoint restart " + jobId + "' (or qrls)");
            }
            case restart -> {
                jobs.restart(jobId);
                out.println("job " + jobId + ": released; the MoM's restart action restores it from its latest context");
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

    /** Who asks, then what PBS needs to vacate by qhold: a job it checkpoints, past R/41. */
    private void vacatable(JobControl jobs, PbsAdapter adapter, PrintWriter out) throws SchedulerException {
        jobs.permissions().ensureMayControl(jobs.job(jobId));
        PbsJob job = adapter.pbsJob(jobId);
        if (job.neverCheckpointed()) {
            throw new SchedulerException("job " + jobId + " was submitted with -c n: PBS would hold it without"
                    + " vacating it; not vacated");
        }
        adapter.makeHoldable(jobId).ifPresent(out::println);
    }

    private String able(JobControl jobs, PbsAdapter adapter) throws SchedulerException {
        JobControl.Ability ability = jobs.able(jobId);
        if (ability.disabled()) {
            return "Disabled";
        }
        JobProcess process = ability.process();
        String pbs;
        try {
            pbs = CheckpointAttribute.parse(adapter.pbsJob(jobId).checkpoint()).describe();
        } catch (IllegalArgumentException unknown) {
            pbs = "as its Checkpoint attribute says";
        }
        return "Yes: job " + jobId + " pid " + process.pid() + " on " + process.node() + ", "
                + ability.contexts() + " context file(s) in " + ability.directory() + "; PBS checkpoints it " + pbs;
    }

    static String describe(CheckpointRecord record) {
        return "job " + record.jobId() + ": checkpointed pid " + record.pid() + " on " + record.node() + " to "
                + record.file() + " in " + record.millis() + " ms";
    }
}
