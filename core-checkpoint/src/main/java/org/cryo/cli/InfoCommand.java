package org.cryo.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import org.cryo.api.Checkpointer;
import org.cryo.api.SafeText;
import org.cryo.format.ContextInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** cryo info: what a context file holds, for people (default) or programs (--json). */
@Command(name = "info", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cryo info - describe a context file",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Verifies FILE and prints the process it holds: command line, memory by kind,",
            "  open files, when and where it was taken and by whom.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:the file is valid", "1:usage error", "2:the file is missing or corrupt"})
final class InfoCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print everything as JSON (mappings and files included).")
    boolean json;

    @Parameters(paramLabel = "FILE", description = "The context file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        ContextInfo info = Checkpointer.create().inspect(file);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json().writeValueAsString(info));
        } else {
            printSummary(out, info);
        }
        out.flush();
        return ExitStatus.OK;
    }

    /** Jackson escapes C0 controls in strings; C1 controls and DEL are escaped too, for terminals. */
    private static ObjectMapper json() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        mapper.getFactory().setCharacterEscapes(new CharacterEscapes() {
            private final int[] table = standardAsciiEscapesForJSON();

            @Override
            public int[] getEscapeCodesForAscii() {
                int[] codes = table.clone();
                codes[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
                return codes;
            }

            @Override
            public SerializableString getEscapeSequence(int ch) {
                return ch >= 0x80 && ch <= 0x9f ? new SerializedString(String.format("\\u%04x", ch)) : null;
            }
        });
        return mapper;
    }

    private void printSummary(PrintWriter out, ContextInfo info) {
        out.printf("Context file  %s (%s, written by Cryo %s)%n", SafeText.escape(file.toString()), Units.bytes(info.fileSize()),
                version(info.cryoVersion()));
        out.printf("Process       pid %d (%s), parent %d, %d thread%s%n", info.pid(), SafeText.escape(info.comm()), info.ppid(),
                info.threads(), info.threads() == 1 ? "" : "s");
        if (info.processes() > 1) {
            // the details below are the first process's; the file holds its whole tree
            out.printf("Tree          %d processes, %d threads in all (details below: the first)%n",
                    info.processes(), info.threadsInAll());
        }
        out.printf("Command line  %s%n", SafeText.escape(String.join(" ", info.commandLine())));
        out.printf("Executable    %s%n", SafeText.escape(info.exe()));
        out.printf("Directory     %s%n", SafeText.escape(info.cwd()));
        out.printf("Taken         %s on %s (kernel %s) by %s (uid %d, gid %d)%n", WHEN.format(info.time()),
                SafeText.escape(info.host()), SafeText.escape(info.kernel()), SafeText.escape(info.user()), info.uid(),
                info.gid());
        out.printf("Frozen for    %s%n", Units.millis(info.freezeNanos()));
        printMemory(out, info);
        printFiles(out, info);
    }

    private static void printMemory(PrintWriter out, ContextInfo info) {
        out.printf("Memory        %-18s %8s %14s %12s%n", "kind", "mappings", "address space", "saved");
        for (ContextInfo.MemoryUsage usage : info.memory()) {
            out.printf("              %-18s %8d %14s %12s%n", usage.kind().description(), usage.mappings(),
                    Units.bytes(usage.addressBytes()), Units.bytes(usage.savedBytes()));
        }
        out.printf("              %-18s %8d %14s %12s%n", "total", info.mappings().size(),
                Units.bytes(info.memory().stream().mapToLong(ContextInfo.MemoryUsage::addressBytes).sum()),
                Units.bytes(info.pageBytes()));
    }

    private static void printFiles(PrintWriter out, ContextInfo info) {
        String label = "Files";
        for (ContextInfo.FileInfo f : info.files()) {
            out.printf("%-13s fd %-3d %-8s %s (%s, offset %d)%n", label, f.fd(), f.kind().name().toLowerCase(),
                    SafeText.escape(f.path()), accessMode(f.openFlags()), f.pos());
            label = "";
        }
        if (info.files().isEmpty()) {
            out.printf("Files         none%n");
        }
    }

    private static String accessMode(int openFlags) {
        return switch (openFlags & 3) {
            case 0 -> "read";
            case 1 -> "write";
            default -> "read/write";
        };
    }

    private static String version(int code) {
        return (code / 10000) + "." + (code / 100 % 100) + "." + (code % 100);
    }
}
