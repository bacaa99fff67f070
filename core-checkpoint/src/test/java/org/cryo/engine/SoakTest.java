package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Soak (issue 3): a job of 4 processes and 12 threads (program soak_job.c: a root and 3 workers
 * joined by pipes, 2 to 4 computing threads each) is checkpointed with --kill, restarted and
 * left to compute a few rounds, 50 times over; then it finishes.  Its result must equal that
 * of an uninterrupted run (no drift), it must make progress after every restart, and no
 * process, thread or descriptor may accumulate: after every cycle exactly the job's 4 processes
 * run its command line (none left over, reparented or as a zombie), in one process group, each
 * with the same PID and the same number of threads and descriptors as at the start, and every
 * restore helper exits when the tree it restored is killed.
 */
class SoakTest {
    static final int CYCLES = 50;
    /** Rounds of the job: about 5 ms each on 2 CPUs; a cycle lets it run 2 of them. */
    static final String ROUNDS = "400";
    static final String WORK = "200000";
    static final int ROUNDS_PER_CYCLE = 2;
    static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(20);

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void fiftyCheckpointRestartCyclesChangeNothing() throws Exception {
        long t0 = System.nanoTime();
        String expected = uninterruptedResult();
        long tReference = System.nanoTime();

        try (var original = CheckpointHarness.Original.start("soak_job", ROUNDS, WORK)) {
            long root = original.pid();
            Path file = original.dir().resolve("soak.cryo");
            ProgramOutput out = original.out();
            long progress = awaitProgress(out, 1, "the original");

            // the job as it started: 4 processes, their threads and descriptors
            String marker = CheckpointHarness.program("soak_job") + "\0" + original.dir();
            Map<Long, Integer> threads = threadCounts(marker, root);
            assertEquals(4, threads.size(), "the job's processes: " + threads);
            assertEquals(List.of(1, 3, 4, 5), threads.values().stream().sorted().toList(),
                    "threads per process: " + threads);
            Map<Long, Integer> fds = fdCounts(threads.keySet());
            long[] pids = threads.keySet().stream().mapToLong(Long::longValue).toArray();

            CheckpointHarness.Restored previous = null;
            CheckpointHarness.Restored restored = null;
            long checkpointNanos = 0;
            long restartNanos = 0;
            try {
                for (int cycle = 1; cycle <= CYCLES; cycle++) {
                    String where = "cycle " + cycle + ": ";
                    long c0 = System.nanoTime();
                    Checkpointer.create().checkpoint(root,
                            CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
                    long c1 = System.nanoTime();
                    checkpointNanos += c1 - c0;
                    if (previous == null) {
                        original.kill();
                    } else {
                        // the helper that restored this tree ends with it, its reaper once the workers are reaped
                        assertTrue(previous.helper().waitFor(10, TimeUnit.SECONDS),
                                where + "the previous restore helper is still running");
                        assertEquals(128 + 9, previous.helper().exitValue(),
                                where + "the previous restore helper's status");
                    }
                    CheckpointHarness.awaitGone(pids);

                    long r0 = System.nanoTime();
                    restored = new CheckpointHarness.Restored(restart(file));
                    progress = awaitProgress(restored.out(), progress + ROUNDS_PER_CYCLE, where + restored.describe());
                    restartNanos += System.nanoTime() - r0;

                    // the same PIDs, the root a child of its restore helper, nothing more, nothing less
                    ProcessHandle helper = ProcessHandle.of(root).flatMap(ProcessHandle::parent).orElseThrow();
                    assertTrue(helper.info().command().orElse("").endsWith("/cryo-engine"),
                            where + "the root's parent is " + helper.info());
                    assertEquals(restored.helper().pid(), helper.parent().map(ProcessHandle::pid).orElse(-1L),
                            where + "the restore helper's parent");
                    assertEquals(threads, threadCounts(marker, root), where + "the job's processes and their threads");
                    assertEquals(fds, fdCounts(threads.keySet()), where + "descriptors per process");
                    assertEquals(1, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(),
                            where + "children of the test JVM (only the current restore helper)");
                    previous = restored;
                }

                // let it finish: the same result as the run that was never interrupted
                original.go();
                restored.assertPassed();
                String result = restored.out().lines().stream().filter(l -> l.startsWith("RESULT ")).findFirst()
                        .orElse("no RESULT line");
                assertEquals(expected, result, "drift: the soaked job's result differs from the uninterrupted run's");
                assertTrue(restored.out().lines().contains("PROGRESS " + ROUNDS), restored.describe());
                CheckpointHarness.awaitGone(pids);
                assertTrue(threadCounts(marker, -1).isEmpty(),
                        "processes of the job are left: " + threadCounts(marker, -1));
                long t1 = System.nanoTime();
                System.out.printf("soak: %d cycles in %.1f s (reference run %.1f s; checkpoints %.1f s, restarts"
                        + " up to progress %.1f s)%n", CYCLES, (t1 - tReference) / 1e9, (tReference - t0) / 1e9,
                        checkpointNanos / 1e9, restartNanos / 1e9);
            } finally {
                // on failure: the root dies with the original (by PID), its workers on end of file
                if (restored != null) {
                    restored.helper().destroyForcibly();
                }
            }
        }
    }

    /**
     * {@link Checkpointer#restart}'s own command ({@code cryo-engine restore FILE}), run under
     * {@code soak_job --reap}: a subreaper that reaps the workers of the killed tree at once (this
     * machine's PID 1 takes a second or more, and 50 cycles would wait for it 50 times).
     */
    private static Process restart(Path file) throws Exception {
        Checkpointer.create().verify(file);      // as Checkpointer.restart does
        List<String> command = new ArrayList<>(List.of(CheckpointHarness.program("soak_job").toString(), "--reap"));
        command.addAll(Checkpointer.create().restoreCommand(file, RestartOptions.builder().inheritIo(false).build()));
        return new ProcessBuilder(command).start();
    }

    /** RESULT line of the job run straight through (the go file exists from the start). */
    private static String uninterruptedResult() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("soak_job-reference");
        try {
            Files.createFile(dir.resolve("go"));
            var result = CheckpointHarness.run(List.of(CheckpointHarness.program("soak_job").toString(),
                    dir.resolve("go").toString(), ROUNDS, WORK), Duration.ofSeconds(60));
            assertEquals(0, result.status(), result.describe());
            assertTrue(result.out().contains("PASS"), result.describe());
            return result.out().stream().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /** Waits for "PROGRESS n" with n >= atLeast, returns the highest n printed so far. */
    private static long awaitProgress(ProgramOutput out, long atLeast, String what) throws Exception {
        try {
            out.await(l -> l.startsWith("PROGRESS ") && Long.parseLong(l.substring(9).trim()) >= atLeast,
                    PROGRESS_TIMEOUT);
        } catch (TimeoutException e) {
            throw new AssertionError("no progress to round " + atLeast + " (" + what + "): " + e.getMessage(), e);
        }
        return out.lines().stream().filter(l -> l.startsWith("PROGRESS "))
                .mapToLong(l -> Long.parseLong(l.substring(9).trim())).max().orElseThrow();
    }

    /**
     * The processes whose command line starts with {@code marker} (the program and the job's work
     * directory, its argv[1]), with their thread counts.  Each must be alive and, unless {@code root} is -1, in
     * the same process group as {@code root} (the restored root takes its restore helper's group,
     * as with BLCR; the workers follow it).
     */
    private static Map<Long, Integer> threadCounts(String marker, long root) throws IOException {
        String[] rootStat = root == -1 ? null : stat(root);
        assertTrue(root == -1 || rootStat != null, "the root " + root + " is gone");
        long pgid = root == -1 ? -1 : Long.parseLong(rootStat[2]);
        Map<Long, Integer> counts = new TreeMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                long pid = Long.parseLong(proc.getFileName().toString());
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                if (cmdline.startsWith(marker)) {
                    String[] stat = stat(pid);
                    if (stat == null) {
                        continue;
                    }
                    counts.put(pid, Integer.parseInt(stat[17]));
                    if (pgid != -1) {
                        assertEquals(pgid, Long.parseLong(stat[2]), "process " + pid + " is not in the root's group");
                    }
                }
            }
        }
        return counts;
    }

    /** /proc/PID/stat from the state on (state ppid pgrp ...; num_threads is [17]), null if gone. */
    private static String[] stat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException gone) {
            return null;
        }
    }

    private static Map<Long, Integer> fdCounts(Iterable<Long> pids) throws IOException {
        Map<Long, Integer> counts = new TreeMap<>();
        for (long pid : pids) {
            try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                counts.put(pid, (int) fds.count());
            }
        }
        return counts;
    }
}
