package org.cryo.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** cr_checkpoint: BLCR's options and defaults, so batch scripts keep working. */
@Command(name = "cr_checkpoint", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
        sortOptions = false, separator = " ",
        headerHeading = "NAME%n", header = "  cr_checkpoint - save a running process to a context file",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Freezes process PID and, by default, all its descendants, for the time it takes",
            "  to copy their state (registers, memory, open files, pipes between them, signal",
            "  handlers, threads) to one context file, then lets them run on, unless an end",
            "  option says otherwise. No kernel module and no preloaded library are needed:",
            "  the process does not have to be started under cr_run.",
            "",
            "  The file is written without a name and given one when complete: a failed or",
            "  interrupted checkpoint (Ctrl-C, a signal, cr_checkpoint killed) leaves no file",
            "  and leaves the process running as it was; once the file has its name, the",
            "  checkpoint completes.",
            "  Only your own processes (or any, as root) can be checkpointed.",
            "",
            "  Files deleted while still open or mapped are saved by content (their holes",
            "  left out) and come back deleted, in their directory: up to 64 MiB of data",
            "  each, more with the environment variable CRYO_DELETED_FILE_MAX (bytes, or",
            "  with K, M or G, e.g. CRYO_DELETED_FILE_MAX=4G); a larger one is refused.",
            "  A file of at most 1 MiB under /tmp, /var/tmp or /dev/shm mapped shared (a",
            "  JVM's hsperfdata) is saved too, and recreated at restart if it is gone.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "0:the context file was written",
            "1:usage error or bad argument",
            "2:the checkpoint failed (the reason is on stderr)",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cr_checkpoint 1234                  save to ./context.1234, leave it running",
            "  cr_checkpoint --term -f /scratch/job.ctx 1234",
            "                                      save, then end the process with SIGTERM",
            "  cr_restart /scratch/job.ctx         carry on from where it was",
            "",
        })
final class CheckpointCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = {"Write the context to FILE (default: context.PID in the current directory);",
                "a directory means DIR/context.PID. A device, FIFO, socket or symbolic",
                "link is refused."})
    String file;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "")
    EndOptions end;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "")
    ScopeOptions scope;

    /** BLCR's --tree (default), --pid, --pgid and --sid. */
    static final class ScopeOptions {
        @Option(names = "--tree", description = "PID and all its descendants (the default).")
        boolean tree;

        @Option(names = "--pid", description = "PID alone, not its children.")
        boolean pidOnly;

        @Option(names = "--pgid", description = "Every process of process group PID (a shell job, a pipeline).")
        boolean processGroup;

        @Option(names = "--sid", description = "Every process of session PID.")
        boolean session;
    }

    @Option(names = {"-v", "--verbose"}, description = "Print the checkpoint's size and timings.")
    boolean verbose;

    @Parameters(paramLabel = "PID", description = "The process to checkpoint.")
    String pid;

    @Override
    public Integer call() throws Exception {
        long target = parsePid(pid);
        CheckpointOptions options = options(target);
        Checkpointer checkpointer = Checkpointer.create();
        checkpointer.checkTarget(target);
        CheckpointResult result = checkpointer.checkpoint(target, options);
        if (verbose) {
            spec.commandLine().getOut().println(describe(target, result));
        }
        return ExitStatus.OK;
    }

    private CheckpointOptions options(long target) {
        CheckpointOptions.Builder options = CheckpointOptions.builder();
        if (file != null) {
            // a Path forgets a trailing slash: "missing/" must stay a directory that is missing,
            // not become a file named "missing"
            options.file(file.endsWith("/") ? Path.of(file).resolve("context." + target) : Path.of(file));
        }
        if (scope != null) {
            options.scope(scope.pidOnly ? CheckpointOptions.Scope.PROCESS
                    : scope.processGroup ? CheckpointOptions.Scope.PROCESS_GROUP
                    : scope.session ? CheckpointOptions.Scope.SESSION : CheckpointOptions.Scope.TREE);
        }
        if (end != null) {
            try {
                end.applyTo(options);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return options.build();
    }

    private long parsePid(String text) {
        try {
            long value = Long.parseLong(text);
            if (value > 0 && value <= Integer.MAX_VALUE) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "invalid PID '" + text + "'");
    }

    private String describe(long target, CheckpointResult result) {
        return spec.qualifiedName() + ": checkpointed pid " + target + " to " + result.file()
                + " (" + Units.bytes(result.fileSize()) + ", page data " + Units.bytes(result.pageBytes())
                + ", frozen " + Units.millis(result.freezeNanos())
                + ", total " + Units.millis(result.totalNanos()) + ")";
    }
}
