package org.cryo.slurm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.SchedulerException;
import org.cryo.slurm.RestSession;
import org.cryo.slurm.SlurmConfig;
import org.cryo.slurm.SlurmControl;
import org.cryo.slurm.SlurmDiag;
import org.cryo.slurm.SlurmVerb;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** cryo slurm rest: which slurmrestd API version is in use, and how each verb reaches Slurm. */
@Command(name = "rest", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo slurm rest - the Slurm release, the REST API version in use, each verb's way",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Asks slurmrestd (SLURM_REST_URL) for its OpenAPI document, picks the newest API version",
            "  Cryo speaks (v0.0.42, v0.0.41, v0.0.40 on Slurm 23.11-24.11; v0.0.38 on 22.05) or the",
            "  one CRYO_SLURM_API pins, pings slurmctld through it, and prints for each verb whether",
            "  it goes through REST or scontrol. When slurmrestd cannot be used (down, token refused,",
            "  no version in common), every verb goes through scontrol, and this says why.",
        },
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:slurmrestd is used", "2:slurmrestd cannot be used (the reason is printed); scontrol stands in"})
public final class SlurmRestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SlurmControl slurm = SlurmControl.connect(SlurmConfig.from(CryoConfig.effectiveEnvironment()), warning -> { });
        PrintWriter out = spec.commandLine().getOut();
        out.println(summary(slurm));
        out.println(statistics(slurm));
        for (SlurmVerb verb : SlurmVerb.values()) {
            out.printf("  %-44s %s%n", verb.title(), slurm.route(verb));
        }
        out.flush();
        return slurm.session().usable() ? 0 : 2;
    }

    /** "slurmrestd http://...: Slurm 24.11.5, serves v0.0.40, v0.0.41, v0.0.42; in use v0.0.42 (negotiated)" */
    static String summary(SlurmControl slurm) {
        RestSession session = slurm.session();
        if (!session.usable()) {
            return "slurmrestd " + session.url() + ": not used: " + session.problem() + "; Slurm "
                    + releaseByCommands(slurm) + " through scontrol";
        }
        List<String> parts = new ArrayList<>();
        parts.add("Slurm " + session.slurmRelease());
        if (!session.served().isEmpty()) {
            parts.add("serves " + String.join(", ", session.served()));
        }
        String how = session.pinned().equals(RestSession.AUTO) ? "negotiated" : "pinned by CRYO_SLURM_API";
        return "slurmrestd " + session.url() + ": " + String.join(", ", parts) + "; in use "
                + session.version().apiName() + " (" + how + ")";
    }

    private static String releaseByCommands(SlurmControl slurm) {
        try {
            return slurm.commands().ping();
        } catch (SchedulerException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    private static String statistics(SlurmControl slurm) {
        try {
            SlurmDiag diag = slurm.diag();
            return "slurmctld: " + diag.serverThreads() + " server threads, agent queue " + diag.agentQueue() + ", "
                    + diag.jobsRunning() + " jobs running, " + diag.jobsPending() + " pending";
        } catch (SchedulerException e) {
            return "slurmctld: no statistics: " + e.getMessage();
        }
    }

    /** cryo slurm --version: the Slurm release and the REST version in use (what 'cryo slurm rest' says first). */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            try {
                return new String[] {summary(SlurmControl.connect(SlurmConfig.from(CryoConfig.effectiveEnvironment()), warning -> { }))};
            } catch (SchedulerException e) {
                return new String[] {"Slurm: " + e.getMessage()};
            }
        }
    }
}
