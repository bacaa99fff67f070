package org.cryo.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.ServiceLoader;
import org.cryo.api.CheckpointException;
import org.cryo.api.SafeText;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine;

/**
 * The command line.  The launchers in bin/ pass their own name first, so one class serves
 * {@code cr_run} (BLCR's name, for drop-in use in batch scripts) and {@code cryo} (run, info,
 * demo, job and the schedulers' commands).  BLCR's {@code cr_checkpoint} and {@code cr_restart}
 * (and {@code cryo checkpoint|restart}) are native programs (native/src/tools/), which bin/
 * runs without a JVM.
 *
 * <p>Every error is one line {@code <prog>: <message>} on stderr and a non-zero status; no
 * stack traces.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit status (for tests: nothing calls System.exit). */
    public static int run(String... args) {
        if (args.length == 0) {
            System.err.println("cryo: usage: Main PROGRAM [ARGS...] (PROGRAM: cr_run, cryo)");
            return ExitStatus.USAGE;
        }
        String program = programName(args[0]);
        CommandLine commandLine = commandFor(program);
        if (commandLine == null) {
            System.err.println("cryo: unknown program name '" + program + "'");
            return ExitStatus.USAGE;
        }
        String[] arguments = Arrays.copyOfRange(args, 1, args.length);
        if (!(arguments.length > 0 && arguments[0].equals("config"))) {
            warnAboutConfiguration(program);
        }
        return commandLine.execute(arguments);
    }

    /** A configuration file ignored or a line refused: one line each, once (cryo config lists them itself). */
    private static void warnAboutConfiguration(String program) {
        for (String notice : CryoConfig.current().notices()) {
            System.err.println(program + ": " + SafeText.escape(notice));
        }
    }

    /** The launcher may pass a path (bin/cr_run); only the base name counts. */
    private static String programName(String argument) {
        int slash = argument.lastIndexOf('/');
        return slash < 0 ? argument : argument.substring(slash + 1);
    }

    /** The command line of a program (cr_run, cryo), null for another name; packaging/ generates man pages from it. */
    public static CommandLine commandFor(String program) {
        return switch (program) {
            case "cr_run" -> configure(new CommandLine(new RunCommand()).setCommandName(program));
            case "cryo" -> configure(cryoCommand());
            default -> null;
        };
    }

    private static CommandLine cryoCommand() {
        CommandLine cryo = new CommandLine(new CryoCommand());
        addSubcommand(cryo, "run", new RunCommand());
        addSubcommand(cryo, "info", new InfoCommand());
        addSubcommand(cryo, "ls", new LsCommand());
        addSubcommand(cryo, "verify", new VerifyCommand());
        addSubcommand(cryo, "config", new ConfigCommand());
        addSubcommand(cryo, "demo", new DemoCommand());
        addSubcommand(cryo, "job", new JobCommand());
        addSubcommand(cryo, "health", new org.cryo.health.cli.HealthCommand());
        addSubcommand(cryo, "agent", new org.cryo.health.cli.AgentCommand());
        // Each scheduler's provider adds its commands ("cryo slurm"), other modules theirs.
        for (SchedulerAdapterProvider provider : SchedulerAdapterProvider.all()) {
            for (Object command : provider.commands()) {
                cryo.addSubcommand(new CommandLine(command));
            }
        }
        for (CommandExtension extension : ServiceLoader.load(CommandExtension.class)) {
            addSubcommand(cryo, extension.name(), extension.command());
        }
        return cryo;
    }

    /** Renames the command itself, so its usage and errors say "cryo run", not "cryo cr_run". */
    private static void addSubcommand(CommandLine parent, String name, Object command) {
        parent.addSubcommand(new CommandLine(command).setCommandName(name));
    }

    /** Error handling and parser settings, applied to the command and all its subcommands. */
    private static CommandLine configure(CommandLine commandLine) {
        commandLine.setParameterExceptionHandler(Main::usageError);
        commandLine.setExecutionExceptionHandler(Main::executionError);
        commandLine.setOut(new PrintWriter(System.out, true));
        commandLine.setErr(new PrintWriter(System.err, true));
        // cr_run CMD ARGS...: everything from CMD on belongs to the command, options included.
        stopAtCommand(commandLine);
        return commandLine;
    }

    private static void stopAtCommand(CommandLine commandLine) {
        if (commandLine.getCommand() instanceof RunCommand) {
            commandLine.setStopAtPositional(true);
        }
        commandLine.getSubcommands().values().forEach(Main::stopAtCommand);
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine failed = e.getCommandLine();
        printError(failed, e.getMessage());
        return ExitStatus.USAGE;
    }

    private static int executionError(Exception e, CommandLine failed, CommandLine.ParseResult parseResult) {
        if (e instanceof CliFailure failure) {
            printError(failed, failure.getMessage());
            return failure.status();
        }
        if (e instanceof CheckpointException || e instanceof SchedulerException) {
            printError(failed, e.getMessage());
            return ExitStatus.FAILED;
        }
        if (e instanceof IllegalArgumentException) {
            printError(failed, e.getMessage());
            return ExitStatus.USAGE;
        }
        printError(failed, "internal error: " + e);
        return ExitStatus.FAILED;
    }

    /** One line on stderr: "<prog>: <message>". */
    static void printError(CommandLine command, String message) {
        String prog = command.getCommandSpec().qualifiedName();
        command.getErr().println(prog + ": " + oneLine(message));
        command.getErr().flush();
    }

    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "failed";
        }
        String line = message.strip();
        int newline = line.indexOf('\n');
        if (newline >= 0) {
            line = line.substring(0, newline).strip();
        }
        // whatever a message quotes (a path from a context file, a field of a catalog file) is shown,
        // never obeyed by the terminal
        return SafeText.escape(line.startsWith("Error: ") ? line.substring("Error: ".length()) : line);
    }
}
