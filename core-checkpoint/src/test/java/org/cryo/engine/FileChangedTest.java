package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A file the process holds open is saved by reference: if it changed or vanished before the
 * restart, the restart refuses with a message naming it; relocated onto an identical copy it
 * works (program file_changed.c).
 */
class FileChangedTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void modifiedFileIsRefused() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            Files.write(data, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data"), "the error does not name the file: " + message);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rewrittenFileOfTheSameSizeIsRefused() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            byte[] bytes = Files.readAllBytes(data);
            bytes[100] ^= 0x55;
            Files.write(data, bytes);   // same size, new mtime
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data"), "the error does not name the file: " + message);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void deletedFileIsRefused() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            Files.delete(data);
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data"), "the error does not name the file: " + message);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void relocatedOntoAnIdenticalCopyWorks() throws Exception {
        try (var original = start()) {
            Path oldDir = original.dir().resolve("old");
            Path newDir = original.dir().resolve("new");
            Path context = original.checkpoint();
            original.kill();
            Files.createDirectory(newDir);
            Files.copy(oldDir.resolve("held.data"), newDir.resolve("held.data"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.delete(oldDir.resolve("held.data"));
            Files.delete(oldDir);
            var restored = original.restart(context, RestartOptions.builder()
                    .relocate(oldDir.toString(), newDir.toString()).inheritIo(false).build());
            original.go();
            restored.assertPassed();
            assertTrue(restored.out().lines().contains("FDPATH " + newDir.resolve("held.data")),
                    "the descriptor does not point to the copy: " + restored.describe());
        }
    }

    private static CheckpointHarness.Original start() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("file_changed");
        Files.createDirectory(dir.resolve("old"));
        return CheckpointHarness.Original.startCommand(dir, java.util.List.of(
                CheckpointHarness.program("file_changed").toString(), dir.resolve("go").toString(),
                dir.resolve("old/held.data").toString()), java.util.Map.of());
    }
}
