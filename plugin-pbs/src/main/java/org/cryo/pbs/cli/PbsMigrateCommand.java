package org.cryo.pbs.cli;

import org.cryo.config.CryoConfig;
import org.cryo.pbs.PbsAdapterProvider;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.MigrateNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** cryo pbs migrate --node NODE: pbsnodes -o NODE, then checkpoint and qrerun each checkpointable job there. */
@Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo pbs migrate - move a node's checkpointable jobs elsewhere",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Marks NODE offline (pbsnodes -o -C 'cryo pbs migrate' NODE: running jobs stay, no new",
            "  ones start), then checkpoints each checkpointable job there to its catalog (shared",
            "  storage) and reruns it (qrerun): PBS runs its script on another node and cr_run restarts",
            "  from the latest context. PBS's own checkpoint is node-bound and not used. A job that",
            "  cannot be moved runs on and is named on stderr (exit status 2). 'pbsnodes -r NODE'",
            "  brings the node back. Root, PBS managers and operators only.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class PbsMigrateCommand extends MigrateNode {
    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to empty.")
    String node;

    @Override
    protected JobControl control() throws SchedulerException {
        return JobControl.of(new PbsAdapterProvider().create(CryoConfig.effectiveEnvironment()), CryoConfig.effectiveEnvironment());
    }

    @Override
    protected String node() {
        return node;
    }

    @Override
    protected String reason() {
        return "cryo pbs migrate";
    }

    @Override
    protected String moved() {
        return "rerun elsewhere";
    }

    @Override
    protected String summary(int moved) {
        return "node " + node + ": offline, " + moved + " job(s) migrated";
    }
}
