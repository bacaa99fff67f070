package org.cryo.scheduler.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.Migration;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code cryo SCHEDULER migrate}: close a node to new work and move its checkpointable jobs
 * elsewhere ({@link JobControl#migrateNode}), one line per job; a job that cannot be moved runs
 * on and is named on stderr (exit status 2). An adapter's command declares the node option in its
 * scheduler's words and what closing the node and moving a job mean there.
 */
public abstract class MigrateNode implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    protected abstract JobControl control() throws SchedulerException;

    /** The node (or host) given. */
    protected abstract String node();

    /** The reason recorded with the node's closing. */
    protected abstract String reason();

    /** What happened to a job checkpointed there ("rescheduled", "requeued", ...). */
    protected abstract String moved();

    /** The summary line, given how many jobs moved. */
    protected abstract String summary(int moved);

    @Override
    public Integer call() throws Exception {
        List<Migration.Outcome> outcomes = control().migrateNode(node(), reason());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int moved = 0;
        boolean failed = false;
        for (Migration.Outcome outcome : outcomes) {
            if (outcome.failed()) {
                err.println("cryo: job " + outcome.jobId() + ": not moved, left running: " + outcome.error());
                failed = true;
            } else if (outcome.checkpoint() != null) {
                out.println(outcome.checkpoint().describe() + "; " + moved());
                moved++;
            } else {
                out.println("job " + outcome.jobId() + ": left running: " + outcome.skipped());
            }
        }
        out.println(summary(moved));
        err.flush();
        out.flush();
        return failed ? 2 : 0;
    }
}
