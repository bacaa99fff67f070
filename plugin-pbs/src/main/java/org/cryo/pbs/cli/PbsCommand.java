package org.cryo.pbs.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** cryo pbs: the MoM's checkpoint actions, run by Cryo, and the admin verbs. */
@Command(name = "pbs", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        subcommands = {PbsCheckpointCommand.class, PbsMigrateCommand.class, PbsInstallMomActionsCommand.class,
            PbsInstallHookCommand.class, PbsActionCommand.class},
        headerHeading = "NAME%n", header = "  cryo pbs - checkpoint, migrate and restart PBS jobs",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  A job is checkpointable when its work runs under cr_run in its script and the MoM has",
            "  Cryo's actions ($action checkpoint, checkpoint_abort, restart: cryo pbs install-mom-actions).",
            "  PBS then drives Cryo: qhold checkpoints, ends and holds it, qrls restarts it in its",
            "  session, qsub -c c=MIN / w=MIN checkpoints it periodically, checkpoint preemption",
            "  (preempt_order C) vacates it. Its catalog: $CRYO_CHECKPOINT_DIR, else PBS_O_WORKDIR/.cryo.",
        },
        commandListHeading = "%nCOMMANDS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cryo pbs install-mom-actions --apply     write the MoM's actions, HUP the MoM",
            "  qsub -c c=30 job.sh                      job.sh: cr_run ./simulation",
            "  qhold 42.vm; qrls 42.vm                  checkpoint and hold it; restart it",
            "  cryo pbs checkpoint create 42.vm         checkpoint it, let it run on",
            "  cryo pbs migrate --node node7            move node7's checkpointable jobs elsewhere",
            "  cryo pbs install-hook --apply            every MoM runs cryo health (a periodic hook)",
            "",
        })
public final class PbsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "missing command (checkpoint, migrate, install-mom-actions, install-hook, action; see 'cryo pbs --help')");
    }
}
