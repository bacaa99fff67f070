package org.cryo.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.cryo.api.Checkpointer;
import org.cryo.api.SafeText;
import org.cryo.format.ContextInfo;
import org.cryo.format.ContextInfo.Descriptor;
import org.cryo.format.ContextInfo.Process;
import org.cryo.format.ContextInfo.Resources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo info: what a context file holds, for people (default) or programs (--json).  The engine
 * reads the file (cryo_describe); the JSON is its answer as it stands, the text a summary of it.
 */
@Command(name = "info", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,

        headerHeading = "NAME%n", header = "  cryo info - describe a context file",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Verifies FILE as a restart would and prints every process of the tree it holds (PID,",
            "  parent, state, threads, memory saved, descriptors by kind), each process's files, the",
            "  resources they share, which descriptors are one open file (dup'ed, or inherited by",
            "  fork: one offset for all), and when, where and by whom it was taken.",
            "  --json prints the engine's description: every mapping and descriptor with its detail.",
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

    @Option(names = "--json", description = "Print the engine's description as JSON (mappings and descriptors included).")
    boolean json;

    @Parameters(paramLabel = "FILE", description = "The context file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            // ASCII with every string escaped by the engine: safe on a terminal as it stands
            out.print(Checkpointer.create().describe(file));
        } else {
            printSummary(out, Checkpointer.create().inspect(file));
        }
        out.flush();
        return ExitStatus.OK;
    }

    private void printSummary(PrintWriter out, ContextInfo info) {
        out.printf("Context file  %s (%s, format %d, written by Cryo %s)%n", SafeText.escape(file.toString()),
                Units.bytes(info.fileSize()), info.formatVersion(), SafeText.escape(info.engineVersion()));
        out.printf("Command line  %s%n", SafeText.escape(String.join(" ", info.commandLine())));
        out.printf("Taken         %s on %s (kernel %s) by %s (uid %d, gid %d)%n", WHEN.format(info.time()),
                SafeText.escape(info.host()), SafeText.escape(info.kernel()), SafeText.escape(info.user()), info.uid(),
                info.gid());
        out.printf("Frozen for    %s%n", Units.millis(info.freezeNs()));
        out.printf("Tree          %d process%s, %d thread%s, %s of memory saved%n", info.processes().size(),
                info.processes().size() == 1 ? "" : "es", info.threadCount(), info.threadCount() == 1 ? "" : "s",
                Units.bytes(info.savedBytes()));
        printTree(out, info);
        for (Process p : info.processes()) {
            printProcess(out, p);
        }
        printResources(out, info.resources());
        printSharedOpenFiles(out, info);
    }

    /**
     * Descriptors that are one open file description (one offset, one set of status flags):
     * dup'ed in a process (dupOf) or inherited by fork (the engine's parentFd), in groups of two
     * or more.  Parents come before their children and a dup names a lower descriptor, so one
     * pass finds every descriptor's first holder.
     */
    private static void printSharedOpenFiles(PrintWriter out, ContextInfo info) {
        Map<String, String> holder = new HashMap<>();
        Map<String, List<String>> groups = new LinkedHashMap<>();
        Map<String, Descriptor> first = new HashMap<>();
        for (Process p : info.processes()) {
            for (Descriptor d : p.descriptors()) {
                String self = p.pid() + " fd " + d.fd();
                String of = d.dupOf() != null ? p.pid() + " fd " + d.dupOf()
                        : d.detail() != null && d.detail().has("parentFd") ? p.ppid() + " fd " + d.detail().get("parentFd").asInt()
                        : self;
                String root = holder.getOrDefault(of, of);
                holder.put(self, root);
                groups.computeIfAbsent(root, k -> new ArrayList<>()).add(self);
                first.putIfAbsent(root, d);
            }
        }
        out.printf("%nShared open files (process PID fd N: one offset and status for all)%n");
        int shown = 0;
        for (Map.Entry<String, List<String>> g : groups.entrySet()) {
            if (g.getValue().size() < 2) {
                continue;
            }
            Descriptor d = first.get(g.getKey());
            out.printf("  %s (%s): %s%n", SafeText.escape(d.path()), SafeText.escape(d.kind()),
                    String.join(", ", g.getValue().stream().map(m -> "process " + m).toList()));
            shown++;
        }
        if (shown == 0) {
            out.printf("  none%n");
        }
    }

    /** One line per process, children indented under their parent. */
    private static void printTree(PrintWriter out, ContextInfo info) {
        out.printf("  %-8s %-8s %-8s %-8s %-7s %7s %10s  %s%n", "PID", "PPID", "PGID", "SID", "STATE", "THREADS", "SAVED",
                "COMMAND  DESCRIPTORS");
        for (Process p : info.processes()) {
            if (p.root()) {
                printSubtree(out, info, p, 0);
            }
        }
    }

    private static void printSubtree(PrintWriter out, ContextInfo info, Process p, int depth) {
        out.printf("  %-8d %-8d %-8d %-8d %-7s %7d %10s  %s%s  %s%n", p.pid(), p.ppid(), p.pgid(), p.sid(),
                SafeText.escape(p.state()), p.threads().size(), Units.bytes(p.savedBytes()), "  ".repeat(depth),
                name(p), kinds(p.descriptorKinds()));
        for (Process child : info.children(p)) {
            printSubtree(out, info, child, depth + 1);
        }
    }

    /** Its command name, escaped; a zombie's is not kept. */
    private static String name(Process p) {
        return p.comm() == null || p.comm().isEmpty() ? "?" : SafeText.escape(p.comm());
    }

    /** "3 file, 1 pipe": counts by the engine's kind names. */
    private static String kinds(Map<String, Integer> kinds) {
        StringJoiner text = new StringJoiner(", ");
        kinds.forEach((kind, count) -> text.add(count + " " + SafeText.escape(kind)));
        return kinds.isEmpty() ? "no descriptors" : text.toString();
    }

    private static void printProcess(PrintWriter out, Process p) {
        out.printf("%nProcess %d (%s)%s%n", p.pid(), name(p),
                p.waitStatus() != null ? ", a zombie with wait status " + p.waitStatus() : "");
        if (p.waitStatus() != null) {
            return;
        }
        out.printf("  Executable  %s%n", SafeText.escape(p.exe()));
        out.printf("  Directory   %s%n", SafeText.escape(p.cwd()));
        out.printf("  Memory      %d mappings, %s of address space, %s saved%s%n", p.mappings().size(),
                Units.bytes(p.addressBytes()), Units.bytes(p.savedBytes()), p.sharedWithParentBytes() > 0
                        ? ", " + Units.bytes(p.sharedWithParentBytes()) + " shared with its parent" : "");
        String label = "Files";
        for (Descriptor d : p.descriptors()) {
            out.printf("  %-11s fd %-3d %-25s %s (%s%s)%n", label, d.fd(), SafeText.escape(d.kind()),
                    SafeText.escape(d.path()), SafeText.escape(d.access()), detail(d));
            label = "";
        }
        if (p.descriptors().isEmpty()) {
            out.printf("  Files       none%n");
        }
    }

    /** The little of a descriptor's detail that fits on its line (kind names are the engine's to choose). */
    private static String detail(Descriptor d) {
        String offset = d.pos() > 0 ? ", offset " + d.pos() : "";
        return d.detail() != null && d.detail().hasNonNull("name")
                ? offset + ", bound to " + SafeText.escape(d.detail().get("name").asText()) : offset;
    }

    private static void printResources(PrintWriter out, Resources r) {
        StringJoiner shared = new StringJoiner(", ");
        if (!r.pipes().isEmpty()) {
            shared.add(count(r.pipes().size(), "pipe") + " (" + Units.bytes(r.pipes().stream()
                    .mapToLong(ContextInfo.Pipe::bufferedBytes).sum()) + " buffered)");
        }
        if (!r.socketPairs().isEmpty()) {
            shared.add(count(r.socketPairs().size(), "Unix socket pair") + " (" + Units.bytes(r.socketPairs().stream()
                    .flatMap(s -> s.queuedBytes().stream()).mapToLong(Long::longValue).sum()) + " queued)");
        }
        for (ContextInfo.Tcp t : r.tcp()) {
            shared.add("TCP " + SafeText.escape(t.state()) + " " + SafeText.escape(t.local())
                    + (t.peer() != null ? " to " + SafeText.escape(t.peer()) : ""));
        }
        if (!r.sysvShm().isEmpty()) {
            shared.add(count(r.sysvShm().size(), "SysV shared memory segment") + " (" + Units.bytes(r.sysvShm().stream()
                    .mapToLong(ContextInfo.SysvShm::bytes).sum()) + ")");
        }
        if (!r.sysvSem().isEmpty()) {
            shared.add(count(r.sysvSem().size(), "SysV semaphore set"));
        }
        if (!r.sysvMsg().isEmpty()) {
            shared.add(count(r.sysvMsg().size(), "SysV message queue") + " (" + r.sysvMsg().stream()
                    .mapToLong(ContextInfo.SysvMsg::messages).sum() + " messages)");
        }
        if (!r.shmemFiles().isEmpty()) {
            shared.add(count(r.shmemFiles().size(), "shared memory file") + " (" + Units.bytes(r.shmemFiles().stream()
                    .mapToLong(ContextInfo.ShmemFile::savedBytes).sum()) + " saved)");
        }
        out.printf("%nShared        %s%n", shared.length() == 0 ? "nothing" : shared.toString());
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
