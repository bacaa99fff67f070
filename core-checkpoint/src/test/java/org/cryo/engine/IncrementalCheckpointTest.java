package org.cryo.engine;

import static org.cryo.engine.CheckpointHarness.Original;
import static org.cryo.engine.CheckpointHarness.Restored;
import static org.cryo.engine.CheckpointHarness.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;

/**
 * Incremental checkpoints, chains and pre-copy (issue 15), with real processes: mem_writer keeps a
 * log of what each of its pages must hold, so a page restored from the wrong file of a chain, or
 * torn by a pre-copy, fails its own check after the restart.
 */
class IncrementalCheckpointTest {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    /** cr_checkpoint ARGS, which must succeed (LazyRestartTest's chains too). */
    static CheckpointHarness.CommandResult crCheckpoint(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CheckpointHarness.launcher("cr_checkpoint").toString()));
        command.addAll(List.of(args));
        CheckpointHarness.CommandResult r = CheckpointHarness.run(command, COMMAND_TIMEOUT);
        assertEquals(0, r.status(), r.describe());
        return r;
    }

    /** mem_writer (started to write only when asked) writes once, its step-th time, and says so. */
    static void writeOnce(Original original, int step) throws Exception {
        Runtime.getRuntime().exec(new String[] {"kill", "-USR1", Long.toString(original.pid())}).waitFor();
        String wrote = "WROTE " + step;
        original.out().await(wrote::equals, Duration.ofSeconds(20));
    }

    /** The engine's own command (compact, parent). */
    private static CheckpointHarness.CommandResult engine(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString()));
        command.addAll(List.of(args));
        return CheckpointHarness.run(command, COMMAND_TIMEOUT);
    }

    private static CheckpointHarness.CommandResult crRestart(Path file) throws Exception {
        return CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_restart").toString(), file.toString()),
                COMMAND_TIMEOUT);
    }

    private static String text(CheckpointHarness.CommandResult r) {
        return String.join("\n", r.out()) + "\n" + String.join("\n", r.err());
    }

    /** The program's own descriptors: the write tracker is one of the engine's, high and close-on-exec. */
    private static void assertTrackerHiddenHigh(long pid) throws IOException {
        List<Integer> trackers = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                if (Files.readSymbolicLink(fd).toString().equals("anon_inode:[userfaultfd]")) {
                    trackers.add(Integer.parseInt(fd.getFileName().toString()));
                }
            }
        }
        assertEquals(1, trackers.size(), "one write tracker in the process: " + trackers);
        assertTrue(trackers.get(0) >= 1000, "the tracker takes no number the program would get: " + trackers);
    }

    /**
     * The restored process, once it runs: the restore helper's child (it stays the parent), named
     * {@code program} again and untraced.  Untraced alone is not enough: the root is created first
     * and waits, untraced, until the restorer seizes it to build it (a checkpoint taken then found
     * it "being traced"); its name comes back while it is built, traced, and the tracer lets it
     * go last.
     */
    private static long restoredRoot(Restored restored, String program) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            var child = restored.helper().toHandle().children().findFirst();
            if (child.isPresent() && runsAgain(child.get().pid(), program)) {
                return child.get().pid();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no restored process under " + restored.describe());
    }

    /**
     * Restored and let go: its executable is the program's again (the restore sets it while the
     * process is under its ptrace), and, read after that, no tracer.  Name and TracerPid alone
     * match for a moment before the restore seizes the new process: it names itself first.
     */
    private static boolean runsAgain(long pid, String program) {
        try {
            if (!Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).getFileName().toString().equals(program)) {
                return false;
            }
            List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
            return status.stream().anyMatch(l -> l.replaceAll("\\s+", " ").equals("Name: " + program))
                    && status.stream().anyMatch(l -> l.replaceAll("\\s+", " ").equals("TracerPid: 0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
    }

    /** A restart of head must fail with one line naming what is wrong, before any process runs. */
    private static void assertChainRefused(Path head, String... expected) throws Exception {
        CheckpointHarness.CommandResult r = crRestart(head);
        assertTrue(r.status() != 0, "a broken chain was restarted: " + r.describe());
        assertOneLineError(r.err());
        assertTrue(r.out().isEmpty(), "a process ran: " + r.describe());
        for (String part : expected) {
            assertTrue(r.err().get(0).contains(part), "'" + part + "' not in: " + r.err());
        }
    }

    @Test
    void writingProcessComesBackFromAChainAndBrokenChainsAreRefused() throws Exception {
        try (Original original = Original.start("mem_writer", "16", "10", "0")) {
            long pid = original.pid();
            Path head = original.dir().resolve("job.cryo");
            crCheckpoint("--incremental", "-f", head.toString(), Long.toString(pid));
            long full = Files.size(head);
            assertTrackerHiddenHigh(pid);
            for (int step = 1; step <= 3; step++) {
                writeOnce(original, step);
                CheckpointHarness.CommandResult r = crCheckpoint("-v", "--incremental", "-f", head.toString(),
                        Long.toString(pid));
                assertTrue(text(r).contains("1 process(es) by the write tracker"), text(r));
                assertTrue(Files.size(head) < full / 10, "incremental of 1% written: " + Files.size(head) + " of " + full);
            }
            // nothing written since: the file is tiny (a few pages of stack the waiting loop touched)
            crCheckpoint("--incremental", "-f", head.toString(), Long.toString(pid));
            assertTrue(Files.size(head) < 128 * 1024 && Files.size(head) < full / 100,
                    "incremental of an unchanged process: " + Files.size(head) + " bytes of " + full);
            assertTrackerHiddenHigh(pid);
            original.kill();
            for (int n = 1; n <= 4; n++) {
                assertTrue(Files.isRegularFile(Path.of(head + ".~" + n + "~")), "parent " + n + " kept");
            }
            Restored restored = original.restart(head, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();

            Path second = Path.of(head + ".~2~"), first = Path.of(head + ".~1~");
            // a parent modified: its page data no longer matches its checksum
            long middle = Files.size(second) / 2;
            flipByte(second, middle);
            assertChainRefused(head, second.toString(), "corrupt");
            flipByte(second, middle);
            // a parent replaced by another file: the content hash its child recorded differs
            Path saved = original.dir().resolve("saved");
            Files.copy(second, saved);
            Files.copy(first, second, StandardCopyOption.REPLACE_EXISTING);
            assertChainRefused(head, second.toString(), "not the file it was taken from");
            Files.copy(saved, second, StandardCopyOption.REPLACE_EXISTING);
            // a parent missing
            Files.delete(first);
            assertChainRefused(head, first.toString(), "missing");
        }
    }

    /** Existing per-feature programs, each restored from a chain of a full file and three incrementals. */
    @Test
    void featureProgramsComeBackFromChains() throws Exception {
        for (String name : List.of("mem_heap_stack", "threads", "cow_workers")) {
            try (Original original = Original.start(name)) {
                List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
                Path parent = null;
                for (int i = 0; i < 4; i++) {
                    Path file = original.dir().resolve(name + "." + i);
                    CheckpointOptions.Builder options = CheckpointOptions.builder().file(file).incremental(parent);
                    if (i == 3) {
                        options.endAction(EndAction.KILL);
                    }
                    Checkpointer.create().checkpoint(original.pid(), options.build());
                    parent = file;
                }
                original.kill();
                CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
                Restored restored = original.restart(parent, RestartOptions.builder().inheritIo(false).build());
                original.go();
                restored.assertPassed();
            }
        }
    }

    /**
     * A restored process has no tracker: its first incremental compares page hashes with the
     * parent's (and arms a tracker for the next), and the longer chain restarts too.
     */
    @Test
    void restoredProcessIsComparedByHashThenTrackedAgain() throws Exception {
        try (Original original = Original.start("mem_heap_stack")) {
            Path full = original.dir().resolve("a.cryo"), next = original.dir().resolve("b.cryo");
            crCheckpoint("--incremental", "--kill", "-f", full.toString(), Long.toString(original.pid()));
            original.kill();
            Restored restored = original.restart(full, RestartOptions.builder().inheritIo(false).build());
            long pid = restoredRoot(restored, "mem_heap_stack");
            CheckpointHarness.CommandResult r = crCheckpoint("-v", "--parent", full.toString(), "--kill", "-f",
                    next.toString(), Long.toString(pid));
            assertTrue(text(r).contains("1 by page hashes"), text(r));
            // none of its heap, stack or data is saved again; what is (about 1.3 MB) is library text the
            // restore left as copy-on-write copies, which the parent, by reference, never held
            assertTrue(Files.size(next) < Files.size(full) / 4, Files.size(next) + " of " + Files.size(full));
            CheckpointHarness.awaitGone(pid);
            restored.awaitExit();
            Restored again = original.restart(next, RestartOptions.builder().inheritIo(false).build());
            original.go();
            again.assertPassed();
        }
    }

    /** Pre-copy of a process that keeps writing (1% of its pages every 5 ms). */
    @Test
    void preCopyOfAProcessThatKeepsWriting() throws Exception {
        try (Original original = Original.start("mem_writer", "64", "10", "5")) {
            Path file = original.dir().resolve("pre.cryo");
            CheckpointHarness.CommandResult r = crCheckpoint("-v", "--pre-copy=2", "--kill", "-f", file.toString(),
                    Long.toString(original.pid()));
            assertTrue(text(r).contains("pre-copy: 2 round(s) while running"), text(r));
            original.kill();
            assertFalse(CheckpointHarness.listNames(original.dir()).stream().anyMatch(n -> n.contains("precopy")),
                    "round files left: " + CheckpointHarness.listNames(original.dir()));
            Restored restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    /**
     * Pre-copy of a process that runs on (1% of its pages written every 5 ms): every stop, each
     * round's and the last, is reported as one, and the write tracker the rounds kept and protected
     * again is the one the merged file names: the next incremental reads it, and the chain restarts.
     */
    @Test
    void preCopyKeepsItsTrackerForTheNextIncremental() throws Exception {
        try (Original original = Original.start("mem_writer", "64", "10", "5")) {
            String pid = Long.toString(original.pid());
            Path pre = original.dir().resolve("pre.cryo"), next = original.dir().resolve("next.cryo");
            String out = text(crCheckpoint("-v", "--pre-copy=3", "-f", pre.toString(), pid));
            java.util.regex.Matcher rounds = java.util.regex.Pattern.compile("pre-copy: (\\d) round\\(s\\)").matcher(out);
            assertTrue(rounds.find(), out);
            long stops = out.lines().filter(l -> l.contains(" frozen, in all ")).count();
            assertEquals(Integer.parseInt(rounds.group(1)) + 1, stops, out);
            CheckpointHarness.CommandResult r = crCheckpoint("-v", "--parent", pre.toString(), "--kill", "-f",
                    next.toString(), pid);
            assertTrue(text(r).contains("1 process(es) by the write tracker"), text(r));
            original.kill();
            Restored restored = original.restart(next, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    /** cryo-engine compact merges a chain into one full file, which restarts with the chain gone. */
    @Test
    void compactMergesAChainIntoOneFullFileThatNeedsNoParent() throws Exception {
        try (Original original = Original.start("mem_writer", "16", "10", "0")) {
            String pid = Long.toString(original.pid());
            Path head = original.dir().resolve("job.cryo"), merged = original.dir().resolve("merged.cryo");
            crCheckpoint("--incremental", "-f", head.toString(), pid);
            for (int step = 1; step <= 2; step++) {
                writeOnce(original, step);
                crCheckpoint(step == 2 ? "--kill" : "--run", "--incremental", "-f", head.toString(), pid);
            }
            original.kill();
            CheckpointHarness.CommandResult compact = engine("compact", head.toString(), merged.toString());
            assertEquals(0, compact.status(), compact.describe());
            assertTrue(Files.size(merged) > Files.size(head) * 10, "the merged file holds every page");
            for (Path f : List.of(head, Path.of(head + ".~1~"), Path.of(head + ".~2~"))) {
                Files.delete(f);
            }
            CheckpointHarness.CommandResult parent = engine("parent", merged.toString());
            assertEquals(List.of("0"), parent.out(), "a full file: " + parent.describe());
            Restored restored = original.restart(merged, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    /**
     * A pre-copy on a parent (--incremental with the file already at the name) is incremental on
     * it, as the same checkpoint without --pre-copy would be: its rounds are merged into one file
     * that names the parent, not the whole chain into a full one.
     */
    @Test
    void preCopyOnAParentIsIncrementalOnIt() throws Exception {
        try (Original original = Original.start("mem_writer", "16", "10", "0")) {
            String pid = Long.toString(original.pid());
            Path head = original.dir().resolve("job.cryo");
            crCheckpoint("--incremental", "-f", head.toString(), pid);
            long full = Files.size(head);
            writeOnce(original, 1);
            String out = text(crCheckpoint("-v", "--pre-copy=3", "--incremental", "--kill", "-f", head.toString(), pid));
            assertTrue(out.contains("round(s) while running"), out);
            assertTrue(Files.size(head) < full / 10, "1% written since the parent: " + Files.size(head) + " of " + full);
            CheckpointHarness.CommandResult parent = engine("parent", head.toString());
            assertEquals(List.of("1 job.cryo.~1~"), parent.out(), "one file under it, the parent: " + parent.describe());
            original.kill();
            Restored restored = original.restart(head, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    /**
     * A burst of writes after the round that looked converged is copied by one more round while
     * the process runs, not frozen: mem_writer writes 10% of its pages (6.4 MiB, over the last
     * step's 4 MiB) whenever the engine is about to freeze (CRYO_FAULT_SIGNAL_BEFORE_FREEZE), so
     * each look before the last freeze finds a burst, and the rounds go on to all four asked for
     * (two, the second with next to nothing to copy, without that look); the chain restarts whole.
     */
    @Test
    void aBurstBeforeTheLastFreezeTakesAnotherRound() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("mem_writer");
        Path wrote = dir.resolve("wrote");
        try (Original original = Original.startCommand(dir, List.of(CheckpointHarness.program("mem_writer").toString(),
                dir.resolve("go").toString(), "64", "100", "0", wrote.toString()), java.util.Map.of())) {
            Path file = dir.resolve("pre.cryo");
            CheckpointHarness.CommandResult r = CheckpointHarness.run(List.of("/usr/bin/env",
                    "CRYO_FAULT_SIGNAL_BEFORE_FREEZE=10:" + wrote, CheckpointHarness.launcher("cr_checkpoint").toString(),
                    "-v", "--pre-copy=4", "--kill", "-f", file.toString(), Long.toString(original.pid())), COMMAND_TIMEOUT);
            assertEquals(0, r.status(), r.describe());
            assertTrue(text(r).contains("pre-copy: 4 round(s) while running"), text(r));
            original.kill();
            Restored restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
