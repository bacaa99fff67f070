package org.cryo.slurm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** cryo slurm: Slurm's removed checkpoint commands, back, plus node migration. */
@Command(name = "slurm", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        versionProvider = SlurmRestCommand.Version.class,
        subcommands = {SlurmCheckpointCommand.class, SlurmMigrateCommand.class, SlurmRestCommand.class},
        headerHeading = "NAME%n", header = "  cryo slurm - checkpoint, vacate, restart and migrate Slurm jobs",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  A job is checkpointable when its work runs under cr_run in its batch script",
            "  (sbatch --requeue; the catalog of context files is $CRYO_CHECKPOINT_DIR/JOBID,",
            "  default WORKDIR/.cryo/JOBID). Talks to slurmrestd (SLURM_REST_URL, JWT in",
            "  SLURM_REST_TOKEN or from 'scontrol token'), in the newest API version both speak",
            "  (v0.0.42 to v0.0.40, or v0.0.38 on 22.05; CRYO_SLURM_API pins one), and to scontrol",
            "  where that version has no REST call or slurmrestd cannot be used ('cryo slurm rest'",
            "  shows which). Checkpoints run on the job's node through $CRYO_NODE_EXEC (%n = node).",
        },
        commandListHeading = "%nCOMMANDS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cryo slurm checkpoint create 42      checkpoint job 42, let it run on",
            "  cryo slurm checkpoint requeue 42     checkpoint, requeue; it resumes from the context",
            "  cryo slurm checkpoint vacate 42      checkpoint, requeue held",
            "  cryo slurm checkpoint restart 42     release a vacated job: it resumes from the context",
            "  cryo slurm migrate --node node2      drain node2 and move its checkpointable jobs",
            "  cryo slurm rest                      the REST API version in use, each verb's way",
            "",
        })
public final class SlurmCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (checkpoint, migrate, rest; see 'cryo slurm --help')");
    }
}
