package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.Migration;
import org.cryo.sge.SgeAdapter;
import org.cryo.sge.SgeAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo sge migrate --host HOST: disable HOST's queues, migrate its checkpointable jobs. */
@Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge migrate - move a host's checkpointable jobs elsewhere",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Disables every queue instance on HOST (qmod -d '*@HOST': running jobs stay, no new",
            "  ones start), then migrates each checkpointable job there (qmod -sj: checkpoint, end,",
            "  reschedule); Grid Engine runs them on other hosts, from their contexts. A job that",
            "  cannot be migrated stays running and is named on stderr (exit status 2).",
            "  'qmod -e *@HOST' enables the host again. Root, managers and operators only.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class SgeMigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--host", required = true, paramLabel = "HOST", description = "The execution host to empty.")
    String host;

    @Override
    public Integer call() throws Exception {
        SgeAdapter adapter = new SgeAdapterProvider().create(System.getenv());
        List<Migration.Outcome> outcomes = JobControl.of(adapter, System.getenv()).migrateNode(host, "cryo sge migrate");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int moved = 0;
        boolean failed = false;
        for (Migration.Outcome outcome : outcomes) {
            if (outcome.checkpoint() != null) {
                out.println(SgeCheckpointCommand.describe(outcome.checkpoint()) + "; rescheduled");
                moved++;
            } else if (outcome.failed()) {
                err.println("cryo: job " + outcome.jobId() + ": " + outcome.error());
                failed = true;
            }
        }
        out.println("host " + host + ": queues disabled, " + moved + " job(s) migrated");
        err.flush();
        out.flush();
        return failed ? 2 : 0;
    }
}
