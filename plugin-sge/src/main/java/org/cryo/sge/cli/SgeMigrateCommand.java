package org.cryo.sge.cli;

import org.cryo.config.CryoConfig;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.cli.MigrateNode;
import org.cryo.sge.SgeAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
public final class SgeMigrateCommand extends MigrateNode {
    @Option(names = "--host", required = true, paramLabel = "HOST", description = "The execution host to empty.")
    String host;

    @Override
    protected JobControl control() throws SchedulerException {
        return JobControl.of(new SgeAdapterProvider().create(CryoConfig.effectiveEnvironment()), CryoConfig.effectiveEnvironment());
    }

    @Override
    protected String node() {
        return host;
    }

    @Override
    protected String reason() {
        return "cryo sge migrate";
    }

    @Override
    protected String moved() {
        return "rescheduled";
    }

    @Override
    protected String summary(int moved) {
        return "host " + host + ": queues disabled, " + moved + " job(s) migrated";
    }
}
