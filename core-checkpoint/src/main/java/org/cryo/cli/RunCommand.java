package org.cryo.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * cr_run: runs a command that may later be checkpointed.
 *
 * <p>For now a plain exec with the exit status passed through: Cryo needs no preloaded library
 * to checkpoint a process.  This is where the callback library (hooks before and after a
 * checkpoint, as BLCR's libcr) and the PID-namespace mode (so a restart never collides with a
 * PID in use) will live.
 */
@Command(name = "cr_run", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cr_run - run a command that will be checkpointed",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Runs CMD with its arguments and exits with its exit status. Cryo can checkpoint",
            "  any process, so cr_run is optional; it exists so that BLCR job scripts work",
            "  unchanged, and will host checkpoint callbacks and PID-namespace mode.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "N:the command's exit status (128+signal if a signal ended it)",
            "1:usage error",
            "127:the command could not be started",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {"  cr_run ./simulation -n 1000", ""})
final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw new CliFailure("cannot run '" + command.get(0) + "': " + reason(e), ExitStatus.CANNOT_RUN);
        }
        return process.waitFor();
    }

    /** "Cannot run program "x": error=2, No such file or directory" -> "No such file or directory". */
    private static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        int errno = message.indexOf("error=");
        int comma = errno < 0 ? -1 : message.indexOf(", ", errno);
        return comma < 0 ? message : message.substring(comma + 2);
    }
}
