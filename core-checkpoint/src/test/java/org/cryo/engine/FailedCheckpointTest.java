package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A checkpoint that fails midway leaves no file, final or temporary (program mem_big.c). */
class FailedCheckpointTest {
    /** A full file system to checkpoint into: DIR/tiny, a tmpfs of the given size (skips if mount is refused). */
    private static Path mountTinyTmpfs(Path dir, String size) throws Exception {
        Path tiny = dir.resolve("tiny");
        Files.createDirectory(tiny);
        var mount = CheckpointHarness.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", tiny.toString()),
                Duration.ofSeconds(10));
        Assumptions.assumeTrue(mount.status() == 0, "cannot mount a tmpfs: " + mount.describe());
        return tiny;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fullFileSystemLeavesNothingAndTheProcessRuns() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "16")) {
            Path tiny = mountTinyTmpfs(original.dir(), "256k");
            try {
                CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpointer.create()
                        .checkpoint(original.pid(), CheckpointOptions.builder().file(tiny.resolve("context.cryo")).build()));
                CheckpointHarness.assertOneLine(e.getMessage());
                assertEquals(List.of(), CheckpointHarness.listNames(tiny), "files left on the full file system");
            } finally {
                CheckpointHarness.run(List.of("umount", "-l", tiny.toString()), Duration.ofSeconds(10));
            }
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void targetKilledDuringTheCheckpointLeavesNothing() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "1024")) {
            Path out = original.dir().resolve("out");
            Files.createDirectory(out);
            Path file = out.resolve("context.cryo");
            CompletableFuture<Object> checkpoint = CompletableFuture.supplyAsync(() -> {
                try {
                    return Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build());
                } catch (CheckpointException e) {
                    return e;
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!checkpoint.isDone() && CheckpointHarness.listNames(out).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            original.kill();
            Object result;
            try {
                result = checkpoint.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("the checkpoint threw " + e.getCause(), e.getCause());
            }
            List<String> left = CheckpointHarness.listNames(out);
            if (result instanceof CheckpointException e) {
                CheckpointHarness.assertOneLine(e.getMessage());
                assertEquals(List.of(), left, "files left after a failed checkpoint");
            } else {
                // finished before the kill landed: then it must be complete and alone
                System.out.println("mem_big: the checkpoint finished before the kill; checking the file instead");
                assertEquals(List.of("context.cryo"), left);
                Checkpointer.create().verify(file);
            }
            assertTrue(ProcessHandle.of(original.pid()).isEmpty(), "the target still runs");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unwritableDirectoryIsRefusedBeforeTheProcessIsTouched() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "16")) {
            Path readOnly = original.dir().resolve("readonly");
            Files.createDirectory(readOnly);
            // root ignores permission bits: a read-only bind mount is unwritable even for root
            var mount = CheckpointHarness.run(List.of("mount", "--bind", "-o", "ro", readOnly.toString(),
                    readOnly.toString()), Duration.ofSeconds(10));
            Assumptions.assumeTrue(mount.status() == 0, "cannot bind-mount: " + mount.describe());
            try {
                CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpointer.create()
                        .checkpoint(original.pid(), CheckpointOptions.builder().file(readOnly.resolve("context.cryo")).build()));
                CheckpointHarness.assertOneLine(e.getMessage());
                assertTrue(e.getMessage().contains("Read-only file system"), e.getMessage());
                assertEquals(List.of(), CheckpointHarness.listNames(readOnly));
            } finally {
                CheckpointHarness.run(List.of("umount", "-l", readOnly.toString()), Duration.ofSeconds(10));
            }
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fileSizeLimitLeavesNothingAndTheProcessRuns() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "16")) {
            Path out = original.dir().resolve("out");
            Files.createDirectory(out);
            // RLIMIT_FSIZE of 1 MiB (ulimit counts 1024-byte blocks) for the checkpoint command
            String command = "ulimit -f 1024; exec " + CheckpointHarness.launcher("cr_checkpoint")
                    + " -f " + out.resolve("context.cryo") + " " + original.pid();
            var result = CheckpointHarness.run(List.of("bash", "-c", command), Duration.ofSeconds(30));
            assertNotEquals(0, result.status(), result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            assertTrue(result.err().get(0).contains("File too large"), result.describe());
            assertEquals(List.of(), CheckpointHarness.listNames(out), "files left");
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTreeWhoseCheckpointFailsRunsOnUntouched() throws Exception {
        try (var original = CheckpointHarness.Original.start("tree")) {
            Path tiny = mountTinyTmpfs(original.dir(), "64k");
            try {
                CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpointer.create()
                        .checkpoint(original.pid(), CheckpointOptions.builder().file(tiny.resolve("tree.cryo")).build()));
                CheckpointHarness.assertOneLine(e.getMessage());
                assertEquals(List.of(), CheckpointHarness.listNames(tiny), "files left on the full file system");
            } finally {
                CheckpointHarness.run(List.of("umount", "-l", tiny.toString()), Duration.ofSeconds(10));
            }
            // every process of the tree: relations, pipe data, zombie, shared offset, all as before
            original.goAndAssertPassed();
        }
    }
}
