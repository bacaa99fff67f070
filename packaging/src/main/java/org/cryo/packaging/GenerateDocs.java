package org.cryo.packaging;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cryo.cli.Main;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Man pages (AsciiDoc, for asciidoctor's manpage backend) and bash completion scripts of the Java
 * commands, made from the very command lines {@code cr_run} and {@code cryo} parse, so that the
 * pages can never say something else than {@code --help}.  Run by packaging/pom.xml with every
 * adapter on the class path: the adapters' commands ({@code cryo slurm ...}, {@code cryo sbatch}) get
 * pages too.  Each page goes to MAN_DIR/PACKAGE, the Debian package of the module its command's
 * class comes from (plugin-slurm: cryo-slurm; the core: cryo), where build-debs.sh takes it.
 *
 * <p>Usage: {@code GenerateDocs MAN_DIR COMPLETION_DIR}.
 */
public final class GenerateDocs {
    private static final String[] PROGRAMS = {"cr_run", "cryo"};

    private GenerateDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateDocs MAN_DIR COMPLETION_DIR");
        }
        Path manDirectory = Files.createDirectories(Path.of(args[0]));
        Path completionDirectory = Files.createDirectories(Path.of(args[1]));
        for (String program : PROGRAMS) {
            CommandLine commandLine = Main.commandFor(program);
            if (commandLine == null) {
                throw new IllegalStateException("Main knows no program " + program);
            }
            dropNamesFromHeaders(commandLine);
            writeManPages(manDirectory, commandLine, null);
            Files.writeString(completionDirectory.resolve(program), AutoComplete.bash(program, commandLine),
                    StandardCharsets.UTF_8);
        }
    }

    /**
     * One page per command and subcommand, depth first: cryo.adoc, cryo-slurm.adoc,
     * cryo-slurm-checkpoint.adoc; a subcommand goes to its top-level command's package.
     */
    private static void writeManPages(Path directory, CommandLine commandLine, String inherited) throws IOException {
        CommandLine.Model.CommandSpec spec = commandLine.getCommandSpec();
        if (spec.usageMessage().hidden()) {
            return;
        }
        String pkg = inherited != null ? inherited : packageOf(spec);
        Path page = Files.createDirectories(directory.resolve(pkg)).resolve(spec.qualifiedName("-") + ".adoc");
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(page, StandardCharsets.UTF_8))) {
            ManPageGenerator.writeSingleManPage(out, spec);
        }
        // an alias (cryo checkpoint's "ckpt") is the same CommandLine under a second key: once only
        for (CommandLine sub : new java.util.LinkedHashSet<>(commandLine.getSubcommands().values())) {
            writeManPages(directory, sub, spec.parent() == null ? null : pkg);
        }
    }

    /**
     * The commands' headers start with their own name for --help ("cryo pbs action - one MoM
     * checkpoint action"); a man page's NAME section and command list put the name there already.
     */
    private static void dropNamesFromHeaders(CommandLine commandLine) {
        CommandLine.Model.UsageMessageSpec usage = commandLine.getCommandSpec().usageMessage();
        String[] header = usage.header();
        if (header.length > 0) {
            String first = header[0].strip();
            int dash = first.indexOf(" - ");
            String name = dash < 0 ? "" : first.substring(0, dash);
            String spec = commandLine.getCommandSpec().qualifiedName(" ");
            if (!name.isEmpty() && (spec.equals(name) || spec.endsWith(" " + name) || name.equals(commandLine.getCommandName())
                    || "cr_run".equals(name))) {
                String[] shorter = header.clone();
                shorter[0] = first.substring(dash + 3);
                usage.header(shorter);
            }
        }
        for (CommandLine sub : new java.util.LinkedHashSet<>(commandLine.getSubcommands().values())) {
            dropNamesFromHeaders(sub);
        }
    }

    /** cryo-X for a class from module plugin-X (its jar or classes directory), else cryo. */
    private static String packageOf(CommandLine.Model.CommandSpec spec) {
        Object command = spec.userObject();
        java.security.CodeSource source = command == null ? null
                : command.getClass().getProtectionDomain().getCodeSource();
        String location = source == null || source.getLocation() == null ? "" : source.getLocation().getPath();
        java.util.regex.Matcher plugin = java.util.regex.Pattern.compile("/plugin-([a-z]+)[-/]").matcher(location);
        String found = null;
        while (plugin.find()) {
            found = plugin.group(1);
        }
        return found == null ? "cryo" : "cryo-" + found;
    }
}
