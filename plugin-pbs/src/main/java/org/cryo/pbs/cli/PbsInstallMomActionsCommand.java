package org.cryo.pbs.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CryoHome;
import org.cryo.pbs.MomConfig;
import org.cryo.pbs.PbsCommands;
import org.cryo.pbs.ServerSettings;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo pbs install-mom-actions [--apply]: the MoM lines that call Cryo, and the server settings. */
@Command(name = "install-mom-actions", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo pbs install-mom-actions - make the MoM call Cryo to checkpoint and restart",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Prints what it would change in $PBS_MOM_HOME (else $PBS_HOME)/mom_priv/config ($action checkpoint,",
            "  checkpoint_abort and restart running plugin-pbs/bin/cryo-pbs-action; with --torque",
            "  $checkpoint_script, $restart_script, $checkpoint_run_exe) and the qmgr settings for",
            "  checkpoint preemption. --apply writes the lines and sends SIGHUP to the MoM; with",
            "  --server it also runs the qmgr settings (a PBS manager, where qmgr reaches the server).",
            "  Idempotent: each change is printed, or 'nothing to change'. Run as root on each MoM host.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class PbsInstallMomActionsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--apply", description = "Write the lines and HUP the MoM (default: only print).")
    boolean apply;

    @Option(names = "--server", description = "With --apply: also run the server and scheduler settings through qmgr.")
    boolean server;

    @Option(names = "--torque", description = "Torque's MoM ($checkpoint_script, $restart_script) instead of OpenPBS's.")
    boolean torque;

    @Option(names = "--timeout", defaultValue = "" + MomConfig.DEFAULT_TIMEOUT, paramLabel = "SECONDS",
            description = "The MoM's time-out for each action. Default: ${DEFAULT-VALUE}.")
    int timeout;

    @Option(names = "--config", paramLabel = "FILE", description = "The MoM config (default: $PBS_MOM_HOME, else $PBS_HOME, /mom_priv/config).")
    Path config;

    @Override
    public Integer call() throws Exception {
        if (timeout < 10 || timeout > 86_400) {
            throw new IllegalArgumentException("--timeout must be 10..86400 seconds");
        }
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        Path pbsHome = MomConfig.momHome(CryoConfig.effectiveEnvironment());
        Path file = config != null ? config : pbsHome.resolve("mom_priv/config");
        Path action = home.resolve("plugin-pbs/bin/cryo-pbs-action");
        List<String> lines = torque ? MomConfig.torqueLines(home) : MomConfig.openPbsLines(action, timeout);
        MomConfig mom = MomConfig.of(file, lines);
        PrintWriter out = spec.commandLine().getOut();
        List<String> changes = apply ? mom.apply() : mom.changes();
        if (changes.isEmpty()) {
            out.println("MoM config " + file + ": nothing to change");
        }
        changes.forEach(out::println);
        if (apply && !changes.isEmpty()) {
            out.println(MomConfig.reload(pbsHome));
        } else if (!apply && !changes.isEmpty()) {
            out.println("(not written: --apply writes them and sends SIGHUP to the MoM)");
        }
        for (Path script : torque ? List.of(home.resolve("plugin-pbs/bin/cryo-torque-checkpoint"),
                home.resolve("plugin-pbs/bin/cryo-torque-restart")) : List.of(action)) {
            MomConfig.refusal(script).ifPresent(why -> out.println("warning: " + why));
        }
        if (apply && server) {
            List<String> done = new ServerSettings(PbsCommands.configured(CryoConfig.effectiveEnvironment()), NodeExecutor.localHostName())
                    .apply();
            if (done.isEmpty()) {
                out.println("server settings: nothing to change");
            }
            done.forEach(out::println);
        } else {
            out.println("server settings (a PBS manager runs them; --apply --server does what is missing):");
            for (String setting : MomConfig.serverSettings(NodeExecutor.localHostName())) {
                out.println("  qmgr -c '" + setting + "'");
            }
            out.println("  (preempt_order C: preemption by checkpoint, CR falls back to requeue; root@node as operator:"
                    + " the restart action's qsig -s suspend/resume that makes a restarted job holdable again)");
        }
        out.flush();
        return 0;
    }
}
