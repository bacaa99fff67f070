package org.cryo.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.SafeText;
import org.cryo.config.CryoConfig;
import org.cryo.format.ContextInfo;
import org.cryo.scheduler.JobCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo ls: the context files of a directory or of a job, oldest first, one line each.  The
 * engine reads every file (cryo_describe_summary: every check but the page data's, a link
 * refused); Java only lists the directory, without following links.
 */
@Command(name = "ls", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo ls - list context files",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Lists the context files of DIR (default: the current directory), or of batch job JOB in",
            "  the job catalog ($CRYO_CHECKPOINT_DIR, else ./.cryo), oldest first: when each was",
            "  taken (UTC), its size, how many processes it holds, its first process and command, and",
            "  the context files it builds on (PARENTS: '-' for a complete one). A context file that",
            "  fails its checks is listed as INVALID with the reason; symbolic links and files that",
            "  are not context files are left out (their number is said). Page data is not read:",
            "  'cryo verify FILE' checks a file whole.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:listed (invalid files included)", "1:usage error", "2:the directory cannot be read"})
final class LsCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "JOB|DIR",
            description = "A directory (a path, or a name that is a directory here), else a job id.")
    String target;

    /** One listed file: its description, or why the engine refused it. */
    private record Entry(Path file, ContextInfo info, String invalid) {
    }

    @Override
    public Integer call() throws Exception {
        List<Path> files = new ArrayList<>();
        int skipped = candidates(files);
        List<Entry> entries = new ArrayList<>();
        Checkpointer checkpointer = Checkpointer.create();
        for (Path file : files) {
            try {
                entries.add(new Entry(file, checkpointer.summary(file), null));
            } catch (CheckpointException e) {
                if (notAContextFile(e)) {
                    skipped++;
                } else {
                    entries.add(new Entry(file, null, e.getMessage()));
                }
            }
        }
        entries.sort(Comparator.comparingLong((Entry e) -> e.info() != null ? e.info().timeNs() : Long.MAX_VALUE)
                .thenComparing(e -> e.file().getFileName().toString()));
        print(spec.commandLine().getOut(), entries, skipped);
        return ExitStatus.OK;
    }

    /** The files to look at; returns how many entries were left out as links or not files. */
    private int candidates(List<Path> files) throws IOException, CliFailure {
        Path dir = target == null ? Path.of("").toAbsolutePath() : Path.of(target);
        if (target != null && !target.contains("/") && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return jobContexts(target, files);
        }
        int skipped = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                    files.add(entry);
                } else {
                    skipped++;
                }
            }
        } catch (NoSuchFileException e) {
            throw new CliFailure("no directory " + SafeText.escape(dir.toString()), ExitStatus.FAILED);
        }
        return skipped;
    }

    private static int jobContexts(String job, List<Path> files) throws IOException, CliFailure {
        JobCatalog catalog = JobCatalog.configured(CryoConfig.effectiveEnvironment(), Path.of("").toAbsolutePath());
        files.addAll(catalog.job(job, System.getProperty("user.name")).contexts());
        if (files.isEmpty()) {
            throw new CliFailure("no directory " + SafeText.escape(job) + " here and no context file of job "
                    + SafeText.escape(job) + " in " + SafeText.escape(catalog.root().toString()), ExitStatus.FAILED);
        }
        return 0;
    }

    /** The engine found no context file header at all: some other file of the directory. */
    private static boolean notAContextFile(CheckpointException e) {
        String message = e.getMessage();
        return message.contains("not a Cryo context file") || message.contains("shorter than a header")
                || message.contains("not a regular file");
    }

    private static void print(PrintWriter out, List<Entry> entries, int skipped) {
        out.printf("%-19s  %9s  %5s  %-8s  %-15s  %-10s  %s%n", "TIME (UTC)", "SIZE", "PROCS", "PID", "COMMAND",
                "PARENTS", "FILE");
        for (Entry e : entries) {
            String name = SafeText.escape(e.file().getFileName().toString());
            if (e.info() == null) {
                out.printf("%-19s  %9s  %5s  %-8s  %-15s  %-10s  %s  INVALID: %s%n", "-", "-", "-", "-", "-", "-", name,
                        SafeText.escape(e.invalid()));
                continue;
            }
            ContextInfo info = e.info();
            ContextInfo.Process first = info.first();
            out.printf("%-19s  %9s  %5d  %-8d  %-15s  %-10s  %s%n", WHEN.format(info.time()), Units.bytes(info.fileSize()),
                    info.processes().size(), first.pid(), command(first), parents(info), name);
        }
        if (skipped > 0) {
            out.printf("(%d other entr%s: not context files, or links)%n", skipped, skipped == 1 ? "y" : "ies");
        }
        out.flush();
    }

    private static String command(ContextInfo.Process p) {
        return p.comm() == null || p.comm().isEmpty() ? "?" : SafeText.escape(p.comm());
    }

    /** The chain of files this one builds on, nearest first; "-" for a complete checkpoint. */
    private static String parents(ContextInfo info) {
        return info.parents().isEmpty() ? "-" : SafeText.escape(String.join(" < ", info.parents()));
    }
}
