package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.format.ContextInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code cryo info} asks the engine (cryo_describe) and shows every process of a tree (program
 * info_tree.c: a root and two children holding a pipe, a socket pair, an eventfd and a log file;
 * child B's name is terminal control characters): the right PIDs and parents, each process's
 * descriptor kinds, the shared resources, control characters escaped in text and JSON; a
 * corrupt file gives a one-line error and a failing exit status.
 */
class InfoTest {
    private static final String COMM_IN_TEXT = "b\\x1b[2J\\x07x";
    private static final String COMM_IN_JSON = "b\\u001b[2J\\u0007x";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void infoShowsEveryProcessOfTheTree() throws Exception {
        try (var original = CheckpointHarness.Original.start("info_tree")) {
            long[] children = children(original);
            long root = original.pid();
            long rootParent = ProcessHandle.of(root).orElseThrow().parent().orElseThrow().pid();
            Path context = original.checkpoint();

            var text = cryo(List.of("info"), context);
            assertEquals(0, text.status(), text.describe());
            assertNoControls(text.out());
            assertTreeLine(text.out(), root, rootParent, "info_tree", "1 pipe", "1 file", "1 Unix socket pair");
            assertTreeLine(text.out(), children[0], root, "  info_tree", "1 eventfd", "inherited from the parent",
                    "1 Unix socket pair");
            assertTreeLine(text.out(), children[1], root, "  " + COMM_IN_TEXT, "inherited from the parent", "1 pipe");
            assertTrue(text.out().stream().anyMatch(l -> l.startsWith("Tree          3 processes, 3 threads")), text.describe());
            assertTrue(text.out().stream().anyMatch(l -> l.contains("1 pipe (100 B buffered)")
                    && l.contains("1 Unix socket pair")), text.describe());
            // the log, inherited by both children: one open file description, one offset
            String log = original.dir().resolve("info.log").toString();
            assertTrue(text.out().stream().anyMatch(l -> l.startsWith("  " + log + " (file): ") && l.endsWith(
                    "process " + root + " fd 3, process " + children[0] + " fd 3, process " + children[1] + " fd 3")),
                    text.describe());

            var json = cryo(List.of("info", "--json"), context);
            assertEquals(0, json.status(), json.describe());
            assertNoControls(json.out());
            String all = String.join("\n", json.out());
            assertTrue(all.contains("\"comm\": \"" + COMM_IN_JSON + "\""), all);
            ContextInfo info = ContextInfo.fromJson(all);
            assertEquals(List.of(root, children[0], children[1]),
                    info.processes().stream().map(p -> (long) p.pid()).toList());
            assertEquals(List.of(rootParent, root, root), info.processes().stream().map(p -> (long) p.ppid()).toList());
            assertEquals(List.of(true, false, false), info.processes().stream().map(p -> p.root()).toList());
            assertEquals("b\u001b[2J\u0007x", info.processes().get(2).comm());
            Map<String, Integer> rootKinds = info.first().descriptorKinds();
            assertEquals(List.of(1, 1, 1), List.of(rootKinds.get("pipe"), rootKinds.get("file"),
                    rootKinds.get("Unix socket pair")), rootKinds.toString());
            assertEquals(5, info.processes().get(1).descriptors().stream().filter(d -> d.kind().equals("eventfd"))
                    .findFirst().orElseThrow().detail().get("count").asInt());
            assertEquals(100, info.resources().pipes().get(0).bufferedBytes());
            assertEquals(1, info.resources().socketPairs().size());
            assertTrue(info.processes().stream().allMatch(p -> p.savedBytes() > 0 && p.threads().size() == 1), all);

            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCorruptFileGivesOneLineAndAFailingStatus() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path context = original.checkpoint();
            original.goAndAssertPassed();
            byte[] good = Files.readAllBytes(context);
            byte[] flipped = good.clone();
            flipped[good.length / 3] ^= 0x5a;
            Path bad = original.dir().resolve("bad.cryo");
            List<String> problems = new ArrayList<>();
            Map<String, byte[]> cases = Map.of("truncated", Arrays.copyOf(good, good.length - 4096),
                    "flipped", flipped, "not a context file", "hello\n".getBytes());
            for (var c : cases.entrySet()) {
                Files.write(bad, c.getValue());
                for (List<String> args : List.of(List.of("info"), List.of("info", "--json"))) {
                    var result = cryo(args, bad);
                    if (result.status() != 2 || result.err().size() != 1 || !result.out().isEmpty()
                            || !result.err().get(0).contains(bad.toString())) {
                        problems.add(c.getKey() + ", " + args + ": " + result.describe());
                    }
                }
            }
            assertEquals(List.of(), problems);
        }
    }

    /**
     * cryo ls DIR and cryo ls JOB: every context file with its time, size and processes; a broken
     * one as INVALID; links and other files left out; names escaped.  cryo verify: one line, and
     * the exit status says.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void lsListsContextFilesAndVerifyJudgesOne() throws Exception {
        try (var original = CheckpointHarness.Original.start("info_tree")) {
            Path context = original.checkpoint();
            original.goAndAssertPassed();
            Path dir = Files.createDirectory(original.dir().resolve("listed"));
            Files.copy(context, dir.resolve("context.1"));
            Files.copy(context, dir.resolve("evil\u001b[2J.ctx"));
            byte[] good = Files.readAllBytes(context);
            Files.write(dir.resolve("cut.ctx"), Arrays.copyOf(good, good.length - 4096));
            Files.writeString(dir.resolve("notes.txt"), "not a context file\n");
            Files.createSymbolicLink(dir.resolve("link.ctx"), context);

            var ls = cryo(List.of("ls"), dir);
            assertEquals(0, ls.status(), ls.describe());
            assertNoControls(ls.out());
            assertEquals(1, ls.out().stream().filter(l -> l.matches(".*\\s3\\s+" + original.pid() + "\\s+info_tree\\s+-\\s+context\\.1"))
                    .count(), ls.describe());
            assertTrue(ls.out().stream().anyMatch(l -> l.contains("evil\\x1b[2J.ctx")), ls.describe());
            assertTrue(ls.out().stream().anyMatch(l -> l.contains("cut.ctx  INVALID: ")), ls.describe());
            assertFalse(ls.out().stream().anyMatch(l -> l.contains("link.ctx") || l.contains("notes.txt")), ls.describe());
            assertTrue(ls.out().contains("(2 other entries: not context files, or links)"), ls.describe());

            var valid = cryo(List.of("verify"), dir.resolve("context.1"));
            assertEquals(0, valid.status(), valid.describe());
            assertEquals(1, valid.out().size(), valid.describe());
            assertTrue(valid.out().get(0).contains(": valid, 3 processes"), valid.describe());
            var cut = cryo(List.of("verify"), dir.resolve("cut.ctx"));
            assertEquals(2, cut.status(), cut.describe());
            assertEquals(List.of(), cut.out());
            assertEquals(1, cut.err().size(), cut.describe());

            // a job of the catalog, by its id
            org.cryo.scheduler.JobDirectory job = org.cryo.scheduler.JobCatalog.at(original.dir().resolve("catalog"),
                    Map.of()).job("77", System.getProperty("user.name")).create();
            Path next = job.nextContext();
            Files.copy(context, next);
            job.commit(next);
            List<String> command = List.of("env", "CRYO_CHECKPOINT_DIR=" + original.dir().resolve("catalog"),
                    CheckpointHarness.launcher("cryo").toString(), "ls", "77");
            var byJob = CheckpointHarness.run(command, Duration.ofSeconds(60));
            assertEquals(0, byJob.status(), byJob.describe());
            assertTrue(byJob.out().stream().anyMatch(l -> l.endsWith("  " + next.getFileName())), byJob.describe());
        }
    }

    /** "CHILDREN A B", printed before READY. */
    private static long[] children(CheckpointHarness.Original original) {
        String line = original.out().lines().stream().filter(l -> l.startsWith("CHILDREN ")).findFirst().orElseThrow();
        return Arrays.stream(line.substring(9).trim().split(" ")).mapToLong(Long::parseLong).toArray();
    }

    /** The tree table's line for pid: its parent, its name and these descriptor kinds. */
    private static void assertTreeLine(List<String> out, long pid, long ppid, String comm, String... kinds) {
        String line = out.stream().filter(l -> l.matches("\\s+" + pid + "\\s+" + ppid + "\\s.*")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for process " + pid + " of parent " + ppid + ": " + out));
        assertTrue(line.contains(" " + comm + "  "), line);
        for (String kind : kinds) {
            assertTrue(line.contains(kind), kind + " missing: " + line);
        }
    }

    private static CheckpointHarness.CommandResult cryo(List<String> args, Path context) throws Exception {
        List<String> command = new ArrayList<>(List.of(CheckpointHarness.launcher("cryo").toString()));
        command.addAll(args);
        command.add(context.toString());
        return CheckpointHarness.run(command, Duration.ofSeconds(60));
    }

    private static void assertNoControls(List<String> lines) {
        for (String line : lines) {
            assertFalse(line.chars().anyMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)), line);
        }
    }

    /**
     * A socket made again by its own calls is described with its domain, type, protocol, state,
     * addresses and options (program inet_sockets.c): the connected UDP socket's peer is the bound
     * one's address, its SO_PRIORITY and SO_MARK are there, the bound TCP socket's linger, the
     * netlink socket's port id.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void infoDescribesSocketsMadeAgainWithTheirAddressesAndOptions() throws Exception {
        try (var original = CheckpointHarness.Original.start("inet_sockets")) {
            Path context = original.checkpoint();
            var json = cryo(List.of("info", "--json"), context);
            assertEquals(0, json.status(), json.describe());
            String all = String.join("\n", json.out());
            var fds = ContextInfo.fromJson(all).first().descriptors();
            java.util.function.Function<String, com.fasterxml.jackson.databind.JsonNode> socket = what -> fds.stream()
                    .map(d -> d.detail()).filter(d -> what.equals(text(d, "domain") + " " + text(d, "protocol") + " "
                            + text(d, "state"))).findFirst().orElseThrow(() -> new AssertionError("no " + what + ": " + all));
            var bound = socket.apply("inet udp bound");
            var connected = socket.apply("inet udp connected");
            assertEquals("dgram", bound.get("type").asText(), all);
            assertTrue(bound.get("local").asText().startsWith("127.0.0.1:"), all);
            assertEquals(bound.get("local").asText(), connected.get("peer").asText(), all);
            assertEquals(6, option(connected, "SO_PRIORITY").get("value").asInt(), all);
            assertEquals(7, option(connected, "SO_MARK").get("value").asInt(), all);
            var tcp = socket.apply("inet tcp bound");
            assertTrue(option(tcp, "SO_LINGER").get("on").asBoolean(), all);
            assertEquals(5, option(tcp, "SO_LINGER").get("seconds").asInt(), all);
            var netlink = socket.apply("netlink 0 bound");
            assertEquals(original.pid(), netlink.get("local").get("portId").asLong(), all);
            original.goAndAssertPassed();
        }
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode detail, String key) {
        return detail != null && detail.has(key) ? detail.get(key).asText() : "";
    }

    private static com.fasterxml.jackson.databind.JsonNode option(com.fasterxml.jackson.databind.JsonNode detail,
            String name) {
        for (var o : detail.get("options")) {
            if (o.get("name").asText().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no option " + name + " in " + detail);
    }
}
