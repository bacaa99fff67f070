package org.cryo.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** cryo: the BLCR-style tools as subcommands, plus info and demo. */
@Command(name = "cryo", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cryo - checkpoint and restart Linux processes",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Cryo saves a running process to a context file and restarts it from there, on this",
            "  node or another, like BLCR but without a kernel module. cryo checkpoint, restart",
            "  and run are the same as cr_checkpoint, cr_restart and cr_run (the first two are",
            "  native programs: see cr_checkpoint --help and cr_restart --help).",
        },
        optionListHeading = "%nOPTIONS%n",
        commandListHeading = "%nCOMMANDS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "0:success",
            "1:usage error or bad argument",
            "2:the operation failed (the reason is on stderr)",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cryo demo                 watch a process being checkpointed, killed and restarted",
            "  cryo info context.1234    what a context file holds",
            "",
        })
final class CryoCommand implements Runnable {
    static final String VERSION = "Cryo 0.1.0";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "missing command (checkpoint, restart, run, info, demo, job; see 'cryo --help')");
    }
}
