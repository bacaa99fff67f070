package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryo.api.RestartOptions;
import org.cryo.engine.CheckpointHarness.Original;
import org.cryo.engine.CheckpointHarness.Restored;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The context file is made durable (fsync) before a checkpoint counts, and a job that runs on
 * is not frozen while the disk writes: it is let go once its state is all in the file, before
 * the fsync; a job the checkpoint ends stays frozen until the file is durable.  The engine
 * waits before its fsync for the test's go, and then goes on or fails as an fsync returning
 * EIO would (CRYO_FAULT_BEFORE_FSYNC).  The job is mem_writer (32 MiB, 1% of its pages
 * rewritten and "WROTE N" printed on each SIGUSR1), whose check after the go fails on any
 * page that does not hold what its log says.
 */
class DurableCommitTest {
    private static final int EIO = 5;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aJobThatRunsOnWritesWhileItsFileIsMadeDurable() throws Exception {
        try (Original original = startWriter()) {
            Path dir = original.dir();
            Path file = dir.resolve("first.cryo");
            Process checkpoint = checkpointWaitingAtFsync(original, 0, "--incremental", "-f", file.toString());
            original.out().await("WROTE 1"::equals, WAIT);      // it ran, and the engine waits at the fsync
            assertTrue(checkpoint.isAlive(), "the checkpoint finished before its fsync's go");
            assertFalse(Files.exists(file), "the file is under its name before it is durable");
            Files.createFile(dir.resolve("fsync-go"));
            assertEquals(0, awaitExit(checkpoint), output(checkpoint));
            assertTrue(Files.isRegularFile(file));

            // what it wrote once let go was tracked for the next checkpoint
            Path next = dir.resolve("next.cryo");
            var r = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(), "--incremental",
                    "--parent", file.toString(), "--kill", "-f", next.toString(), Long.toString(original.pid())), WAIT);
            assertEquals(0, r.status(), r.describe());
            original.kill();
            Restored restored = original.restart(next, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFailedFsyncLeavesTheRunningJobAsItWasAndNoFile() throws Exception {
        try (Original original = startWriter()) {
            Path dir = original.dir();
            List<String> before = CheckpointHarness.listNames(dir);
            Map<String, String> fdsBefore = descriptors(original.pid());
            Process checkpoint = checkpointWaitingAtFsync(original, EIO, "--incremental", "-f",
                    dir.resolve("context.cryo").toString());
            original.out().await("WROTE 1"::equals, WAIT);
            // let go with the tracker armed for the next checkpoint: one more descriptor, a userfaultfd
            Map<String, String> fdsDuring = descriptors(original.pid());
            fdsDuring.keySet().removeAll(fdsBefore.keySet());
            assertEquals(List.of("anon_inode:[userfaultfd]"), List.copyOf(fdsDuring.values()), "descriptors added");
            Files.createFile(dir.resolve("fsync-go"));

            assertFailedWithEio(checkpoint);
            assertEquals(before, CheckpointHarness.listNames(dir), "files left");
            assertEquals(fdsBefore, descriptors(original.pid()), "the failed checkpoint's tracker is still there");
            signal(original, "USR1");
            original.out().await("WROTE 2"::equals, WAIT);
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aJobToBeKilledStaysFrozenUntilItsFileIsDurableAndRunsOnIfItIsNot() throws Exception {
        try (Original original = startWriter()) {
            Path dir = original.dir();
            List<String> before = CheckpointHarness.listNames(dir);
            Process checkpoint = checkpointWaitingAtFsync(original, EIO, "--kill", "-f", dir.resolve("context.cryo").toString());
            Thread.sleep(500);      // time enough to act on the signal, were it let go
            assertFalse(original.out().lines().contains("WROTE 1"), "the job ran before its file was durable");
            Files.createFile(dir.resolve("fsync-go"));

            assertFailedWithEio(checkpoint);
            assertTrue(original.isAlive(), "the job was killed though its file is not durable");
            assertEquals(before, CheckpointHarness.listNames(dir), "files left");
            original.out().await("WROTE 1"::equals, WAIT);     // the signal it got frozen, acted on now
            original.goAndAssertPassed();
        }
    }

    private static Original startWriter() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("mem_writer");
        return Original.startCommand(dir, List.of(CheckpointHarness.program("mem_writer").toString(),
                dir.resolve("go").toString(), "32", "10", "0"), Map.of());
    }

    /**
     * Starts cr_checkpoint ARGS PID with its fsync held until DIR/fsync-go, then failing with
     * errno (0: not failing), and sends the job SIGUSR1 once it is frozen or let go.
     */
    private static Process checkpointWaitingAtFsync(Original original, int errno, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/env",
                "CRYO_FAULT_BEFORE_FSYNC=" + errno + ":" + original.dir().resolve("fsync-go"),
                CheckpointHarness.launcher("cr_checkpoint").toString()));
        command.addAll(List.of(args));
        command.add(Long.toString(original.pid()));
        Process checkpoint = new ProcessBuilder(command).redirectErrorStream(true).start();
        checkpoint.getOutputStream().close();
        awaitTraced(original.pid());
        signal(original, "USR1");
        return checkpoint;
    }

    /** Until the checkpoint has seized the job (or let it go already: then it was seized). */
    private static void awaitTraced(long pid) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("TracerPid:") && !line.endsWith("\t0")) {
                    return;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the checkpoint never seized process " + pid);
    }

    private static void signal(Original original, String sig) throws Exception {
        var r = CheckpointHarness.run(List.of("kill", "-" + sig, Long.toString(original.pid())), WAIT);
        assertEquals(0, r.status(), r.describe());
    }

    private static void assertFailedWithEio(Process checkpoint) throws Exception {
        int status = awaitExit(checkpoint);
        String said = output(checkpoint);
        assertTrue(status != 0, "the checkpoint succeeded: " + said);
        List<String> lines = said.lines().toList();
        assertEquals(1, lines.size(), said);
        assertTrue(lines.get(0).contains("fsync") && lines.get(0).contains("Input/output error"), said);
    }

    private static int awaitExit(Process p) throws InterruptedException {
        assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "cr_checkpoint did not finish");
        return p.exitValue();
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes()).strip();
    }

    /** The process's descriptors: number to what /proc says it is. */
    private static Map<String, String> descriptors(long pid) throws IOException {
        Map<String, String> fds = new TreeMap<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : list.toList()) {
                fds.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
            }
        }
        return fds;
    }
}
