package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.scheduler.CheckpointRecord;
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
        SgeAdapter adapter = SgeAdapterProvider.createSge(System.getenv());
        List<String> failures = new ArrayList<>();
        List<CheckpointRecord> moved = adapter.migrateHost(host, failures);
        PrintWriter out = spec.commandLine().getOut();
        for (CheckpointRecord record : moved) {
            out.println(SgeCheckpointCommand.describe(record) + "; rescheduled");
        }
        out.println("host " + host + ": queues disabled, " + moved.size() + " job(s) migrated");
        PrintWriter err = spec.commandLine().getErr();
        failures.forEach(f -> err.println("cryo: " + f));
        err.flush();
        out.flush();
        return failures.isEmpty() ? 0 : 2;
    }
}
