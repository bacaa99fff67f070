package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.cryo.engine.CheckpointHarness.Original;
import org.cryo.engine.CheckpointHarness.Restored;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code cryo-engine restore --lazy} (the engine of {@code cr_restart --lazy}): the per-feature
 * programs come back with their private anonymous pages served on first touch and prefetched;
 * the server ends (and no userfaultfd stays anywhere) even if the process touches nothing; a
 * page that cannot be read or does not match its checksum kills the process; nothing is left
 * behind.  CRYO_TIMING=1 makes the server say when every page is in.  The server serves pages
 * from a mapping of the file when the file is in the page cache (as right after its checkpoint)
 * and from reads into its buffers otherwise; CRYO_PAGE_READS chooses, and the tests of serving
 * and of failing take both ways.
 */
class LazyRestartTest {
    private static final String ALL_IN = "lazy pages all in";
    private static final String KILLED = "the process is killed rather than given wrong memory";

    private static Restored restartLazily(Path file, Map<String, String> env, String... extra) throws Exception {
        return new Restored(restartLazilyBuilder(file, env, extra).start());
    }

    private static ProcessBuilder restartLazilyBuilder(Path file, Map<String, String> env, String... extra)
            throws Exception {
        List<String> command = new ArrayList<>(Checkpointer.create().restoreCommand(file,
                RestartOptions.builder().inheritIo(false).build()));
        command.add(2, "--lazy");
        for (String option : extra) {
            command.add(2, option);
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("CRYO_TIMING", "1");
        builder.environment().putAll(env);
        return builder;
    }

    /** The original is gone: restart it lazily from file, go, PASS, and the server said it was done. */
    private static Restored restartLazilyAndPass(Original original, Path file, Map<String, String> env)
            throws Exception {
        Restored restored = restartLazily(file, env);
        original.go();
        restored.assertPassed();
        assertServedAndDone(restored);
        return restored;
    }

    private static void assertServedAndDone(Restored restored) {
        assertTrue(restored.err().lines().stream().anyMatch(l -> l.contains(ALL_IN)),
                "the page server never said every page was in: " + restored.describe());
    }

    /** Served to the end the way CRYO_PAGE_READS={@code reads} asked. */
    private static void assertServedFrom(Restored restored, String reads) {
        String way = reads.equals("mapped") ? "pages mapped from the page cache)" : "pages read)";
        assertTrue(restored.err().lines().stream().anyMatch(l -> l.contains(ALL_IN) && l.contains(way)),
                "not served as asked (" + reads + "): " + restored.describe());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mem_heap_stack", "mem_advice", "threads"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void perFeatureProgramsComeBackLazily(String name) throws Exception {
        try (Original original = Original.start(name)) {
            Path file = checkpointAndKill(original);
            restartLazilyAndPass(original, file, Map.of());
        }
    }

    /**
     * A chain of incremental checkpoints (a full file and three on it, the last one --kill) and a
     * pre-copy checkpoint come back lazily: the file a restart serves from is the chain merged,
     * with block checksums of the merged page data (the newest file's own were of its pages
     * only, and every lazy restart of a chain or a pre-copy was refused as corrupt).  A chain of
     * compressed files too: the merged data is plain, with its checksums, so it is served lazily
     * (a compressed file alone is refused: compressedFileIsRefused).  mem_writer checks every page
     * against its log of what each must hold.
     */
    @ParameterizedTest(name = "compressed {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aChainOfIncrementalCheckpointsComesBackLazily(boolean compressed) throws Exception {
        try (Original original = Original.start("mem_writer", "16", "10", "0")) {
            String pid = Long.toString(original.pid());
            Path head = original.dir().resolve("job.cryo");
            chainCheckpoint(compressed, "-f", head.toString(), pid);
            for (int step = 1; step <= 3; step++) {
                IncrementalCheckpointTest.writeOnce(original, step);
                chainCheckpoint(compressed, step == 3 ? "--kill" : "--run", "-f", head.toString(), pid);
            }
            original.kill();
            assertTrue(Files.isRegularFile(Path.of(head + ".~3~")), "a chain of four files");
            restartLazilyAndPass(original, head, Map.of());
        }
    }

    /** cr_checkpoint --incremental [--compress] ARGS. */
    private static void chainCheckpoint(boolean compressed, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--incremental"));
        if (compressed) {
            all.add("--compress");
        }
        all.addAll(List.of(args));
        IncrementalCheckpointTest.crCheckpoint(all.toArray(String[]::new));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aPreCopyCheckpointComesBackLazily() throws Exception {
        try (Original original = Original.start("mem_writer", "16", "10", "5")) {
            Path file = original.dir().resolve("pre.cryo");
            IncrementalCheckpointTest.crCheckpoint("--pre-copy=3", "--kill", "-f", file.toString(),
                    Long.toString(original.pid()));
            original.kill();
            restartLazilyAndPass(original, file, Map.of());
        }
    }

    /** Trees: the parents' memory is eager (their children are forked from them), the leaves' lazy. */
    @ParameterizedTest
    @ValueSource(strings = {"cow_workers"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void treesComeBackLazily(String name) throws Exception {
        try (Original original = Original.start(name)) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = original.dir().resolve(name + ".cryo");
            Checkpointer.create().checkpoint(original.pid(),
                    CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            restartLazilyAndPass(original, file, Map.of());
        }
    }

    /**
     * The prefetch held back: every page the program meets is served on touch, through a fork
     * (the child's own userfaultfd), mremap, MADV_DONTNEED, munmap and a read by the kernel.
     */
    @ParameterizedTest(name = "pages {0}")
    @ValueSource(strings = {"mapped", "read"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void forkRemapDiscardAndKernelReadsOfUnservedPages(String reads) throws Exception {
        try (Original original = Original.start("lazy_memory", "32")) {
            Path file = checkpointAndKill(original);
            assertServedFrom(restartLazilyAndPass(original, file,
                    Map.of("CRYO_LAZY_PREFETCH_DELAY_MS", "5000", "CRYO_PAGE_READS", reads)), reads);
        }
    }

    /**
     * A cold file, left to the engine to choose (it reads it: the page cache does not hold it),
     * is left cold: what the server read it dropped from the page cache once it was in its
     * window, so the next lazy restart of the same file reads it again rather than map it.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aColdFileIsReadAndLeftOutOfThePageCache() throws Exception {
        try (Original original = Original.start("lazy_memory", "32")) {
            Path file = checkpointAndKill(original);
            CheckpointHarness.dropFromPageCache(file);
            assertServedFrom(restartLazilyAndPass(original, file, Map.of()), "read");
            Files.delete(original.dir().resolve("go"));   // the second copy waits for it too
            assertServedFrom(restartLazilyAndPass(original, file, Map.of()), "read");
        }
    }

    /**
     * The same steps racing the prefetch: 256 MiB take it about 60 ms, and the program starts at
     * once (its go file is there before it runs), so its child's faults, its mremap, its discard
     * and its unmap meet windows being copied.  Whether a given restart raced is up to the
     * scheduler (on two CPUs the prefetch is sometimes done before the program runs at all), so
     * it restarts until the program saw a partial image at go, at least three times and at most
     * ten; every one of them must pass.
     */
    @ParameterizedTest(name = "pages {0}")
    @ValueSource(strings = {"mapped", "read"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void forkRemapDiscardAndKernelReadsRacingThePrefetch(String reads) throws Exception {
        int raced = 0;
        for (int i = 0; i < 10 && (raced == 0 || i < 3); i++) {
            try (Original original = Original.start("lazy_memory", "256")) {
                Path file = checkpointAndKill(original);
                Restored restored = restartLazilyAndPass(original, file, Map.of("CRYO_PAGE_READS", reads));
                assertServedFrom(restored, reads);
                if (sawPartialImageAtGo(restored)) {
                    raced++;
                }
            }
        }
        assertTrue(raced > 0, "in ten restarts the prefetch was done before the program started: nothing raced");
    }

    /** Whether lazy_memory 256 found less than all its pages in memory when it started (its own mincore). */
    private static boolean sawPartialImageAtGo(Restored restored) {
        String seen = restored.out().lines().stream().filter(l -> l.startsWith("resident at go: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no residency line: " + restored.describe()));
        String[] words = seen.substring("resident at go: ".length()).split(" ");
        assertEquals("65536", words[2], "lazy_memory 256 maps 65536 pages: " + seen);
        return Long.parseLong(words[0]) < Long.parseLong(words[2]);
    }

    /**
     * A process that touches nothing, restarted with --detach, its file unlinked once the
     * command returned: the keeper still serves it (its own descriptor), the prefetch brings every
     * page, then no userfaultfd is left anywhere and the keeper has no other child (the guard).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void untouchedDetachedProcessIsCompletedFromAnUnlinkedFile() throws Exception {
        try (Original original = Original.start("mem_big", "48")) {
            Path file = checkpointAndKill(original);
            // The job writes to a file, not to the helper's pipe: once the helper exits, the JDK drains
            // and closes its end of that pipe, and what the detached job writes later is lost to the test.
            Path jobOut = original.dir().resolve("job.out");
            Process front = restartLazilyBuilder(file, Map.of("CRYO_LAZY_PREFETCH_DELAY_MS", "500"), "--detach")
                    .redirectOutput(jobOut.toFile()).redirectErrorStream(true).start();
            assertTrue(front.waitFor(60, TimeUnit.SECONDS), "restore --detach did not return");
            assertEquals(0, front.exitValue(), Files.readString(jobOut));
            Files.delete(file);
            long pid = original.pid();
            long keeper = ProcessHandle.of(pid).orElseThrow().parent().orElseThrow().pid();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (residentKib(pid) < 48 * 1024 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(residentKib(pid) >= 48 * 1024, "not every page came in: VmRSS " + residentKib(pid) + " KiB");
            awaitNoUserfaultfd(keeper);
            assertEquals(List.of(), userfaultfds(pid), "the restored process holds a userfaultfd");
            // the guard exits once the keeper has closed its userfaultfds and told it: a moment later
            awaitOnlyChild(keeper, pid);
            original.go();
            CheckpointHarness.awaitGone(pid, keeper);
            List<String> out = Files.readAllLines(jobOut);
            assertTrue(out.contains("PASS") && out.stream().noneMatch(l -> l.startsWith("FAIL")), String.join("\n", out));
        }
    }

    /**
     * A flipped byte of page data kills the process, whether it touches the page (when told to
     * go on) or never does: then the prefetch meets the block (mapped: checked by the copying
     * threads, each its own pieces of a window, just before they copy them).
     */
    @ParameterizedTest(name = "pages {0}, touched by the process: {1}")
    @CsvSource({"mapped, true", "read, true", "mapped, false", "read, false"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void corruptedPageKillsTheProcess(String reads, boolean touched) throws Exception {
        try (Original original = Original.start("mem_big", "32")) {
            Path file = checkpointAndKill(original);
            ContextLayout.Section pages = largestPages(file);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                long at = pages.offset() + pages.length() / 2;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x5a);
            }
            Restored restored = restartLazily(file, Map.of("CRYO_PAGE_READS", reads));
            if (touched)
                original.go();
            assertKilledWithMessage(restored, original.pid(), "does not match its checksum");
        }
    }

    /**
     * The file cut short while the process runs (it only reads it on touch, the prefetch held
     * back): mapped, the server's check of the cut pages faults, and that is the truncation too.
     */
    @ParameterizedTest(name = "pages {0}")
    @ValueSource(strings = {"mapped", "read"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void fileTruncatedMidWayKillsTheProcess(String reads) throws Exception {
        try (Original original = Original.start("mem_big", "32")) {
            Path file = checkpointAndKill(original);
            ContextLayout.Section pages = largestPages(file);
            Restored restored = runningWithoutPrefetch(original, file, Map.of("CRYO_PAGE_READS", reads));
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(pages.offset() + pages.length() / 4);
            }
            original.go();
            assertKilledWithMessage(restored, original.pid(), "truncated");
        }
    }

    /**
     * The server killed (SIGKILL) while pages are still to come: its guard kills the process at
     * once, which never runs on with the zero pages the kernel would otherwise give it (without the
     * guard it sleeps on and then dies of a segmentation fault in its zeroed data).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void serverKilledMidWayTakesTheProcessWithIt() throws Exception {
        try (Original original = Original.start("mem_big", "32")) {
            Path file = checkpointAndKill(original);
            Restored restored = runningWithoutPrefetch(original, file);
            restored.helper().destroyForcibly();
            assertTrue(restored.helper().waitFor(30, TimeUnit.SECONDS), "the restorer did not die");
            // gone before it is even told to go on (without the guard it would sleep on, then meet zero pages)
            CheckpointHarness.awaitGone(original.pid());
            original.go();
            restored.out().awaitEnd(Duration.ofSeconds(10));
            assertFalse(restored.out().lines().stream().anyMatch(l -> l.equals("PASS") || l.startsWith("FAIL")),
                    "the process ran on without its server: " + restored.describe());
        }
    }

    /** A compressed file (its blocks have no PAGE_SUMS): refused before anything runs, one line. */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void compressedFileIsRefused() throws Exception {
        try (Original original = Original.start("mem_big", "8")) {
            Path file = original.dir().resolve("compressed.cryo");
            var checkpoint = CheckpointHarness.run(List.of(CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine")
                    .toString(), "checkpoint", "--compress", "--kill", "-f", file.toString(), Long.toString(original.pid())),
                    Duration.ofSeconds(60));
            assertEquals(0, checkpoint.status(), checkpoint.describe());
            original.kill();
            Restored restored = restartLazily(file, Map.of());
            int status = restored.awaitExit();
            assertEquals(125, status, restored.describe());
            List<String> errors = restored.err().lines().stream().filter(l -> !l.startsWith("cryo: ")).toList();
            assertEquals(1, errors.size(), restored.describe());
            assertTrue(errors.get(0).contains("compressed page data") && errors.get(0).contains("without --lazy"),
                    restored.describe());
            CheckpointHarness.awaitGone(original.pid());
        }
    }

    private static Path checkpointAndKill(Original original) throws Exception {
        Path file = original.checkpoint();
        original.kill();
        return file;
    }

    /** Restarted lazily, the prefetch held back (pages come on touch only), and running. */
    private static Restored runningWithoutPrefetch(Original original, Path file) throws Exception {
        return runningWithoutPrefetch(original, file, Map.of());
    }

    private static Restored runningWithoutPrefetch(Original original, Path file, Map<String, String> env)
            throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.put("CRYO_LAZY_PREFETCH_DELAY_MS", "600000");
        Restored restored = restartLazily(file, all);
        awaitRunning(original.pid(), restored);
        return restored;
    }

    private static void assertKilledWithMessage(Restored restored, long pid, String why) throws Exception {
        int status = restored.awaitExit();
        String all = restored.describe() + "\nexit status " + status;
        assertEquals(128 + 9, status, "the restored process was not killed: " + all);
        assertFalse(restored.out().lines().contains("PASS"), all);
        assertTrue(restored.err().lines().stream().anyMatch(l -> l.contains(KILLED) && l.contains(why)), all);
        CheckpointHarness.awaitGone(pid);
    }

    private static ContextLayout.Section largestPages(Path file) throws IOException {
        return new ContextLayout(Files.readAllBytes(file)).sections.stream()
                .filter(s -> s.type() == ContextLayout.SEC_PAGES)
                .max((a, b) -> Long.compare(a.length(), b.length())).orElseThrow();
    }

    /** The restored process runs its own code: the restorer has let it go (CRYO_TIMING's "release"). */
    private static void awaitRunning(long pid, Restored restored) throws Exception {
        try {
            restored.err().await(l -> l.startsWith("cryo: release"), Duration.ofSeconds(60));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the restored process never ran: " + restored.describe(), e);
        }
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "the restored process is gone: " + restored.describe());
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static long residentKib(long pid) {
        return readOrEmpty(Path.of("/proc/" + pid + "/status")).lines().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
    }

    private static List<String> userfaultfds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(target -> target.contains("userfaultfd")).toList();
        }
    }

    private static List<Long> children(long pid) {
        return ProcessHandle.of(pid).orElseThrow().children().map(ProcessHandle::pid).toList();
    }

    private static void awaitOnlyChild(long parent, long child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!children(parent).equals(List.of(child)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(child), children(parent), "the keeper has children besides the job (the guard?)");
    }

    private static void awaitNoUserfaultfd(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!userfaultfds(pid).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), userfaultfds(pid), "process " + pid + " still holds a userfaultfd");
        assertNotEquals(0, pid);
    }
}
