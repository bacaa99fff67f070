package org.cryo.slurm.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.scheduler.Migration;
import org.cryo.scheduler.JobControl;
import org.cryo.slurm.SlurmAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo slurm migrate --node NODE: drain NODE, checkpoint and requeue its checkpointable jobs elsewhere. */
@Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo slurm migrate - move checkpointable jobs off a node",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Drains NODE (REST from v0.0.40, scontrol on 22.05), then checkpoints and",
            "  requeues each checkpointable job on it; Slurm starts them on other nodes, where",
            "  they restart from their context files. Other jobs are left running. Resume the",
            "  node later with 'scontrol update NodeName=NODE State=RESUME'.",
        })
public final class SlurmMigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to empty.")
    String node;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "cryo migrate",
            description = "Drain reason (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    public Integer call() throws Exception {
        List<Migration.Outcome> outcomes = JobControl.open(SlurmAdapterProvider.NAME, System.getenv())
                .migrateNode(node, reason);
        PrintWriter out = spec.commandLine().getOut();
        out.println("node " + node + ": drained (" + reason + ")");
        boolean failed = false;
        for (Migration.Outcome outcome : outcomes) {
            if (outcome.failed()) {
                failed = true;
                spec.commandLine().getErr().println("job " + outcome.jobId() + ": not moved, left running: " + outcome.error());
                continue;
            }
            out.println(outcome.checkpoint() != null
                    ? "job " + outcome.jobId() + ": checkpointed to " + outcome.checkpoint().file() + " and requeued"
                    : "job " + outcome.jobId() + ": left running: " + outcome.skipped());
        }
        out.flush();
        return failed ? 1 : 0;
    }
}
