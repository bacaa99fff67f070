package org.cryo.pbs.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CryoHome;
import org.cryo.health.HealthPolicy;
import org.cryo.health.HealthSetup;
import org.cryo.pbs.HealthHook;
import org.cryo.pbs.PbsCommands;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo pbs install-hook [--apply]: Cryo's health check as the MoMs' periodic hook (exechost_periodic). */
@Command(name = "install-hook", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo pbs install-hook - run Cryo's node health check in every MoM (a periodic hook)",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Prints the qmgr commands that install the hook cryo_health (event exechost_periodic,",
            "  plugin-pbs/hooks/cryo_health.py) and its settings file; --apply writes the settings",
            "  (--settings) and runs them. The server sends the hook to every MoM; each runs, as root,",
            "  'cryo health --act --scheduler pbs --node ITS_VNODE' every freq seconds (the policy's",
            "  poll.interval): warn offlines the node with the precursor as comment, evacuate also",
            "  migrates its checkpointable jobs (checkpoint, qrerun), fail reruns them from their latest",
            "  periodic context. alarm is sized from the policy (checkpoint.time x trend_factor +",
            "  scheduler.requeue_time + 60 s). A PBS manager runs it once, on a host with Cryo at the",
            "  same path as on the MoMs. Run again after changing the policy's times.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class PbsInstallHookCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--apply", description = "Write the settings file and run the qmgr commands (default: only print).")
    boolean apply;

    @Option(names = "--config", paramLabel = "FILE", description = "The policy the MoMs read (default: /etc/cryo/health.conf).")
    Path config;

    @Option(names = "--settings", paramLabel = "FILE", description = "The hook's settings file to write and import. Default: "
            + "/etc/cryo/pbs-health-hook.json.")
    Path settings = HealthHook.DEFAULT_SETTINGS;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/", description = "sysfs under DIR on the MoMs (tests: a fixture tree).")
    Path root;

    @Option(names = "--state", paramLabel = "FILE", description = "The history of rates on each MoM. Default: "
            + "/var/lib/cryo/health/pbs-hook-state.json.")
    Path state = HealthSetup.DEFAULT_STATE_DIR.resolve("pbs-hook-state.json");

    @Option(names = "--freq", paramLabel = "SECONDS", description = "Run every SECONDS (default: the policy's poll.interval).")
    Integer freq;

    @Option(names = "--alarm", paramLabel = "SECONDS", description = "PBS's limit for one run (default: sized from the policy).")
    Integer alarm;

    @Option(names = "--dry-run", description = "The hook says what it would do and changes nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        Path policyFile = config != null ? config : HealthSetup.DEFAULT_CONFIG;
        HealthPolicy policy = HealthSetup.policy(policyFile, false);
        Path script = home.resolve("plugin-pbs/hooks/cryo_health.py");
        HealthHook sized = HealthHook.forPolicy(script, policy);
        HealthHook hook = new HealthHook(script, freq != null ? freq : sized.freq(), alarm != null ? alarm : sized.alarm());
        String json = hook.settingsJson(home.resolve("bin/cryo"), Files.exists(policyFile) ? policyFile : null,
                root, state, dryRun, javaHome());
        PrintWriter out = spec.commandLine().getOut();
        PbsCommands commands = PbsCommands.configured(CryoConfig.effectiveEnvironment());
        boolean exists = apply && HealthHook.installed(commands);
        if (!apply) {
            out.println("settings file " + settings + " (--apply writes it):");
            out.print(json.indent(2));
            out.println("qmgr commands (a PBS manager; --apply runs them):");
            hook.qmgrCommands(false, settings).forEach(c -> out.println("  qmgr -c '" + c + "'"));
            out.flush();
            return 0;
        }
        Files.createDirectories(settings.toAbsolutePath().getParent());
        Files.writeString(settings, json);
        out.println("wrote " + settings);
        for (String command : hook.qmgrCommands(exists, settings)) {
            commands.qmgr(command);
            out.println("qmgr -c '" + command + "': done");
        }
        out.println("hook " + HealthHook.NAME + ": every " + hook.freq() + " s on every MoM, alarm " + hook.alarm()
                + " s; its log lines are in each MoM's mom_logs (" + HealthHook.NAME + ": ...)");
        out.flush();
        return 0;
    }

    /** The MoM gives its hooks PATH=/bin:/usr/bin only: the Java this runs on is named when it is not there. */
    private static Map<String, String> javaHome() {
        Map<String, String> env = new TreeMap<>();
        String javaHome = CryoConfig.effectiveEnvironment().get("JAVA_HOME");
        if (javaHome != null && !javaHome.isEmpty() && !Files.isExecutable(Path.of("/usr/bin/java"))) {
            env.put("JAVA_HOME", javaHome);
        }
        return env;
    }
}
