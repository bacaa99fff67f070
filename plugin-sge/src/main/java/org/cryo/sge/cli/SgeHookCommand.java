package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.cryo.api.Checkpointer;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.sge.SgeNodeHook;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo sge hook checkpoint|migrate|clean JOB_ID JOB_PID: what Cryo's checkpointing environment
 * runs on the job's host (see {@link SgeNodeHook}).  Its output goes to the execd's log of the call.
 */
@Command(name = "hook", hidden = true, mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge hook - run by Grid Engine's execd for Cryo's checkpointing environment",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  checkpoint  ckpt_command: checkpoint the job's cr_run process, let it run on",
            "  migrate     migr_command: checkpoint it, end the job; Grid Engine reschedules it",
            "  clean       clean_command: the job ended; remove its catalog",
        },
        parameterListHeading = "%nARGUMENTS%n")
public final class SgeHookCommand implements Callable<Integer> {
    enum Kind { checkpoint, migrate, clean }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "checkpoint, migrate or clean")
    Kind kind;

    @Parameters(index = "1", paramLabel = "JOB_ID", description = "$job_id")
    String jobId;

    @Parameters(index = "2", paramLabel = "JOB_PID", description = "$job_pid")
    long jobPid;

    @Override
    public Integer call() throws Exception {
        SgeNodeHook hook = new SgeNodeHook(System.getenv(), Checkpointer.create(), System.getProperty("user.name"));
        PrintWriter out = spec.commandLine().getOut();
        switch (kind) {
            case checkpoint -> out.println(SgeCheckpointCommand.describe(hook.checkpoint(jobId, jobPid)));
            case migrate -> {
                CheckpointRecord record = hook.migrate(jobId, jobPid);
                out.println(SgeCheckpointCommand.describe(record) + "; the job ended, Grid Engine reschedules it");
            }
            case clean -> out.println("job " + jobId + ": catalog removed (" + hook.clean(jobId) + " context file(s))");
            default -> throw new IllegalStateException(kind.toString());
        }
        return 0;
    }
}
