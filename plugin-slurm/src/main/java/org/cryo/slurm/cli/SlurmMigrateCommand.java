package org.cryo.slurm.cli;

import org.cryo.config.CryoConfig;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.MigrateNode;
import org.cryo.slurm.SlurmAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** cryo slurm migrate --node NODE: drain NODE, checkpoint and requeue its checkpointable jobs elsewhere. */
@Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo slurm migrate - move checkpointable jobs off a node",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Drains NODE (REST from v0.0.40, scontrol on 22.05), then checkpoints and",
            "  requeues each checkpointable job on it; Slurm starts them on other nodes, where",
            "  they restart from their context files. Other jobs are left running; a job that",
            "  cannot be moved runs on and is named on stderr (exit status 2). Resume the",
            "  node later with 'scontrol update NodeName=NODE State=RESUME'.",
        })
public final class SlurmMigrateCommand extends MigrateNode {
    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to empty.")
    String node;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "cryo migrate",
            description = "Drain reason (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    protected JobControl control() throws SchedulerException {
        return JobControl.open(SlurmAdapterProvider.NAME, CryoConfig.effectiveEnvironment());
    }

    @Override
    protected String node() {
        return node;
    }

    @Override
    protected String reason() {
        return reason;
    }

    @Override
    protected String moved() {
        return "requeued";
    }

    @Override
    protected String summary(int moved) {
        return "node " + node + ": drained (" + reason + "), " + moved + " job(s) migrated";
    }
}
