package org.cryo.sge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** cryo sge: Grid Engine's checkpointing environment, run by Cryo, and the admin verbs. */
@Command(name = "sge", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        subcommands = {SgeCheckpointCommand.class, SgeMigrateCommand.class, SgeInstallCkptEnvCommand.class,
            SgeInstallLoadSensorCommand.class},
        headerHeading = "NAME%n", header = "  cryo sge - checkpoint, migrate and restart Grid Engine jobs",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  A job is checkpointable when it is submitted with Cryo's checkpointing environment",
            "  (qsub -ckpt cryo -r y) and its work runs under cr_run in its script. Grid Engine",
            "  then drives Cryo: qmod -sj, a queue or threshold suspension and an execd shutdown",
            "  migrate it (checkpoint, end, reschedule, restart from the context), the queue's",
            "  min_cpu_interval checkpoints it, and its end cleans its catalog",
            "  ($CRYO_CHECKPOINT_DIR/JOBID, default SGE_O_WORKDIR/.cryo/JOBID).",
        },
        commandListHeading = "%nCOMMANDS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cryo sge install-ckpt-env --when sxm     install the environment 'cryo' in every queue",
            "  qsub -ckpt cryo -r y job.sh              job.sh: cr_run ./simulation",
            "  qmod -sj 42                              migrate job 42 (or: cryo sge checkpoint requeue 42)",
            "  cryo sge checkpoint create 42            checkpoint job 42, let it run on",
            "  cryo sge migrate --host node7            move node7's checkpointable jobs elsewhere",
            "",
        })
public final class SgeCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "missing command (checkpoint, migrate, install-ckpt-env; see 'cryo sge --help')");
    }
}
