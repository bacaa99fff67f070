package org.cryo.pbs.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.pbs.PbsAdapter;
import org.cryo.pbs.PbsAdapterProvider;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.Migration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
public final class PbsMigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to empty.")
    String node;

    @Override
    public Integer call() throws Exception {
        PbsAdapter adapter = new PbsAdapterProvider().create(System.getenv());
        List<Migration.Outcome> outcomes = JobControl.of(adapter, System.getenv()).migrateNode(node, "cryo pbs migrate");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int moved = 0;
        boolean failed = false;
        for (Migration.Outcome outcome : outcomes) {
            if (outcome.checkpoint() != null) {
                out.println(PbsCheckpointCommand.describe(outcome.checkpoint()) + "; rerun elsewhere");
                moved++;
            } else if (outcome.failed()) {
                err.println("cryo: job " + outcome.jobId() + ": " + outcome.error());
                failed = true;
            }
        }
        out.println("node " + node + ": offline, " + moved + " job(s) migrated");
        err.flush();
        out.flush();
        return failed ? 2 : 0;
    }
}
