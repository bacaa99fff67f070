package org.cryo.sge.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CryoHome;
import org.cryo.scheduler.SchedulerException;
import org.cryo.sge.CheckpointEnvironment;
import org.cryo.sge.CheckpointEnvironmentInstaller;
import org.cryo.sge.SgeCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo sge install-ckpt-env: Cryo's checkpointing environment, idempotently. */
@Command(name = "install-ckpt-env", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sge install-ckpt-env - install Cryo's checkpointing environment",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Adds (or brings up to date) the checkpointing environment NAME: interface",
            "  application-level, ckpt_command / migr_command / clean_command running",
            "  'cryo job checkpoint|migrate|clean --scheduler gridengine $job_id' on the job's host, and lists",
            "  it in the queues' ckpt_list. Prints each change; nothing when all is in place.",
            "  when: s = execd shutdown, m = every queue min_cpu_interval, x = job or queue",
            "  suspension (qmod -sj, qmod -sq, suspend_thresholds), r = reschedule. Run as a manager.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class SgeInstallCkptEnvCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--name", defaultValue = "cryo", paramLabel = "NAME", description = "Default: ${DEFAULT-VALUE}.")
    String name;

    @Option(names = "--when", defaultValue = "sxm", paramLabel = "LETTERS", description = "Default: ${DEFAULT-VALUE}.")
    String when;

    @Option(names = "--ckpt-dir", defaultValue = "NONE", paramLabel = "DIR",
            description = "The environment's ckpt_dir (Grid Engine gives it to the job as SGE_CKPT_DIR). Cryo's"
                    + " catalog is $CRYO_CHECKPOINT_DIR, else SGE_O_WORKDIR/.cryo. Default: ${DEFAULT-VALUE}.")
    String checkpointDir;

    @Option(names = "--queue", paramLabel = "QUEUE", description = "A queue to list it in (repeatable). Default: every queue.")
    List<String> queues = List.of();

    @Override
    public Integer call() throws Exception {
        Path home = CryoHome.find().orElseThrow(() -> new SchedulerException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        CheckpointEnvironment wanted = new CheckpointEnvironment(name, home.resolve("bin/cryo").toString(), when,
                checkpointDir);
        List<String> changes = new CheckpointEnvironmentInstaller(new SgeCommands(CryoConfig.effectiveEnvironment()))
                .install(wanted, queues);
        PrintWriter out = spec.commandLine().getOut();
        if (changes.isEmpty()) {
            out.println("checkpointing environment " + name + ": nothing to change");
        }
        changes.forEach(out::println);
        return 0;
    }
}
