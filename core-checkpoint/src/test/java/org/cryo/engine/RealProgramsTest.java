package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unmodified programs doing incremental work: checkpointed mid-way, killed and restarted, they
 * continue from where the checkpoint was taken (not from the start) and the result is right.
 * The expected results were computed by running the programs without Cryo.
 */
class RealProgramsTest {
    private static final String PYTHON_RESULT = "81e4847d7f696c1317da42fd69bfc64de810f5185e93b5c12681b454235ccebc";
    private static final String STATIC_RESULT = "dc317275dcf5e165";
    private static final int STEPS = 40;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void python3Continues() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            python = Path.of("python3");
        }
        Path script = Path.of(RealProgramsTest.class.getResource("/progress.py").toURI());
        Assumptions.assumeTrue(python.isAbsolute() || CheckpointHarness.run(List.of("python3", "-c", "1"),
                Duration.ofSeconds(10)).status() == 0, "no python3");
        Path dir = CheckpointHarness.newWorkDir("python");
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(python.toString(), script.toString()), Map.of())) {
            checkContinues(original, PYTHON_RESULT);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void staticallyLinkedProgramContinues() throws Exception {
        try (var original = CheckpointHarness.Original.start("static_counter")) {
            checkContinues(original, STATIC_RESULT);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void multiThreadedJvmContinues() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path source = Path.of(RealProgramsTest.class.getResource("/Progress.java").toURI());
        Path dir = CheckpointHarness.newWorkDir("jvm");
        // compiled here: the source launcher would hold a socket open, which Cryo cannot save yet
        int compiled = javax.tools.ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", dir.toString(), source.toString());
        assertEquals(0, compiled, "javac failed");
        // an unmodified JVM with a pool of 20 threads, plus its own
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(java.toString(), "-XX:+UseSerialGC", "-Xmx256m", "-cp", dir.toString(), "Progress"), Map.of())) {
            checkContinues(original, null);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void pythonMultiprocessingPoolContinues() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Path script = Path.of(RealProgramsTest.class.getResource("/multiproc.py").toURI());
        Path dir = CheckpointHarness.newWorkDir("multiprocessing");
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(python.toString(), script.toString()), Map.of())) {
            original.out().await(l -> l.equals("PROGRESS 10"), Duration.ofSeconds(60));
            // the pool's workers, pipes and semaphores: the whole tree, ended once saved
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            assertTrue(tree.size() >= 3, "the pool has " + tree.size() + " processes");
            Path file = dir.resolve("pool.cryo");
            Checkpointer.create().checkpoint(original.pid(),
                    CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            int lastBefore = lastProgress(original.out().lines());
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            List<Integer> after = progress(restored.out().lines());
            assertTrue(!after.isEmpty() && after.get(0) > 10 && after.get(0) <= lastBefore + 1,
                    "killed at " + lastBefore + ", then " + after);
            assertEquals(STEPS, after.get(after.size() - 1), restored.describe());
        }
    }

    /** result null: the program's own recomputation (its PASS) is the check. */
    private static void checkContinues(CheckpointHarness.Original original, String result) throws Exception {
        original.out().await(l -> l.equals("PROGRESS 10"), Duration.ofSeconds(30));
        var context = original.checkpoint();
        original.kill();
        int lastBefore = lastProgress(original.out().lines());
        var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
        original.go();
        restored.assertPassed();
        List<Integer> after = progress(restored.out().lines());
        assertTrue(!after.isEmpty() && after.get(0) > 10, "progress restarted from the beginning: " + after);
        assertTrue(after.get(0) <= lastBefore + 1, "progress skipped ahead: killed at " + lastBefore + ", then " + after);
        assertEquals(STEPS, after.get(after.size() - 1), restored.describe());
        for (int i = 1; i < after.size(); i++) {
            assertEquals(after.get(i - 1) + 1, after.get(i), "progress not consecutive: " + after);
        }
        if (result != null) {
            assertTrue(restored.out().lines().contains("RESULT " + result), restored.describe());
        }
    }

    static List<Integer> progress(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("PROGRESS ")).map(l -> Integer.parseInt(l.substring(9))).toList();
    }

    static int lastProgress(List<String> lines) {
        List<Integer> all = progress(lines);
        return all.isEmpty() ? 0 : all.get(all.size() - 1);
    }
}
