package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CryoHome;
import org.cryo.health.Level;
import org.cryo.scheduler.SchedulerException;
import org.cryo.sge.HealthLoadSensorInstaller;
import org.cryo.sge.SgeCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo sge install-load-sensor: Cryo's health as a load value and the queues' suspend_thresholds on it. */
@Command(name = "install-load-sensor", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge install-load-sensor - migrate jobs off hosts whose health fails",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Adds the complex cryo_health (INT, >=), Cryo's load sensor to the global load_sensor list",
            "  (every execd reports its host's health level: 0 ok, 1 warn, 2 evacuate, 3 fail) and",
            "  suspend_thresholds cryo_health=LEVEL to the queues. Grid Engine then suspends a queue",
            "  instance on a host at that level, and migrates its jobs submitted with Cryo's checkpointing",
            "  environment (cryo sge install-ckpt-env; qsub -ckpt cryo). The sensor reads",
            "  /etc/cryo/health-sensor.env (CRYO_HEALTH_ROOT, CRYO_HEALTH_CONFIG, ...). Run as a manager.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class SgeInstallLoadSensorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--level", defaultValue = "evacuate", paramLabel = "LEVEL",
            description = "The level that suspends (warn, evacuate, fail). Default: ${DEFAULT-VALUE}.")
    String level;

    @Option(names = "--queue", paramLabel = "QUEUE", description = "A queue to set it on (repeatable). Default: every queue.")
    List<String> queues = List.of();

    @Option(names = "--suspend-interval", paramLabel = "HH:MM:SS",
            description = "Also set the queues' suspend_interval (how soon a threshold suspends; Grid Engine's default 00:05:00).")
    String suspendInterval;

    @Override
    public Integer call() throws Exception {
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        Level threshold = Level.parse(level);
        if (threshold == Level.OK) {
            throw new IllegalArgumentException("--level ok would suspend every healthy host");
        }
        if (suspendInterval != null && !suspendInterval.matches("\\d{1,2}:\\d{2}:\\d{2}")) {
            throw new IllegalArgumentException("--suspend-interval: not HH:MM:SS: '" + suspendInterval + "'");
        }
        List<String> changes = new HealthLoadSensorInstaller(new SgeCommands(CryoConfig.effectiveEnvironment())).install(
                home.resolve("plugin-sge/bin/cryo-health-load-sensor").toString(), threshold.ordinal(), queues, suspendInterval);
        PrintWriter out = spec.commandLine().getOut();
        if (changes.isEmpty()) {
            out.println("cryo_health load sensor: nothing to change");
        }
        changes.forEach(out::println);
        return 0;
    }
}
