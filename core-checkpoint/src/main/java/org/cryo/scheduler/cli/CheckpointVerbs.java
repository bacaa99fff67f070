package org.cryo.scheduler.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The verbs of Slurm 19.05's {@code scontrol checkpoint OP JOBID}, which every adapter's
 * {@code cryo SCHEDULER checkpoint} offers over the core's workflows ({@link JobControl}). An
 * adapter's command extends this with its {@code @Command} text, opens its {@link JobControl} and
 * says what its scheduler adds: checks before a vacate, what "able" reports, what each verb's
 * outcome means there.
 */
public abstract class CheckpointVerbs implements Callable<Integer> {
    public enum Operation { able, create, requeue, vacate, restart, disable, enable, error }

    @Spec
    protected CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OP", description = "able, create, requeue, vacate, restart, disable, enable, error")
    protected Operation operation;

    @Parameters(index = "1", paramLabel = "JOBID", description = "The job's id, as the scheduler prints it.")
    protected String jobId;

    /** The adapter's workflows, for this command line (after any option of the adapter's own). */
    protected abstract JobControl control() throws SchedulerException;

    /** What the scheduler does with a job requeued after its checkpoint (printed after the checkpoint's line). */
    protected abstract String requeued();

    /** The same for a vacated (held) job. */
    protected abstract String held();

    /** What releasing a vacated job sets off. */
    protected abstract String released();

    /**
     * Refuses, before the process is touched, a requeue ({@code hold} false) or a vacate the
     * scheduler could not carry out; may print what it prepared. By default, only who asks.
     */
    protected void ensureVacatable(JobControl jobs, boolean hold, PrintWriter out) throws SchedulerException {
        jobs.permissions().ensureMayControl(jobs.job(jobId));
    }

    /** What "able" adds after the catalog, the scheduler's own view (empty, or "; ..."). */
    protected String ableDetails() throws SchedulerException {
        return "";
    }

    @Override
    public Integer call() throws Exception {
        JobControl jobs = control();
        PrintWriter out = spec.commandLine().getOut();
        switch (operation) {
            case able -> out.println(able(jobs));
            case create -> out.println(jobs.checkpoint(jobId).describe() + "; it runs on");
            case requeue -> {
                ensureVacatable(jobs, false, out);
                out.println(jobs.vacate(jobId, VacateMode.REQUEUE).describe() + "; " + requeued());
            }
            case vacate -> {
                ensureVacatable(jobs, true, out);
                out.println(jobs.vacate(jobId, VacateMode.HOLD).describe() + "; " + held());
            }
            case restart -> {
                jobs.restart(jobId);
                out.println("job " + jobId + ": released; " + released());
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

    private String able(JobControl jobs) throws SchedulerException {
        JobControl.Ability ability = jobs.able(jobId);
        if (ability.disabled()) {
            return "Disabled";   // as Slurm 19.05 printed it
        }
        return "Yes: job " + jobId + " pid " + ability.process().pid() + " on " + ability.process().node() + ", "
                + ability.contexts() + " context file(s) in " + ability.directory() + ableDetails();
    }
}
