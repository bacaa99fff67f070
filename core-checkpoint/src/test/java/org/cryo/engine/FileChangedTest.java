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

    /** A plain cp: a new inode and a new mtime, the same content (FILE_HASHES): the restart takes it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void relocatedOntoAPlainCopyWithANewMtimeWorks() throws Exception {
        try (var original = start()) {
            Path oldDir = original.dir().resolve("old");
            Path newDir = original.dir().resolve("new");
            Path context = original.checkpoint();
            original.kill();
            Files.createDirectory(newDir);
            Files.copy(oldDir.resolve("held.data"), newDir.resolve("held.data"));
            Files.setLastModifiedTime(newDir.resolve("held.data"), java.nio.file.attribute.FileTime.fromMillis(
                    Files.getLastModifiedTime(oldDir.resolve("held.data")).toMillis() + 60_000));
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

    /** mtime is a hint only: a file touched but not changed is the same file. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void touchedButUnchangedFileWorks() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            Files.setLastModifiedTime(data, java.nio.file.attribute.FileTime.fromMillis(
                    Files.getLastModifiedTime(data).toMillis() + 60_000));
            var restored = original.restart(context, PLAIN);
            original.go();
            restored.assertPassed();
        }
    }

    /** Above CRYO_HASH_FILE_MAX no hash is taken: a touched file is refused, as it always was. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFileTooLargeToHashIsJudgedByItsMtime() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.dir().resolve("capped.ctx");
            var r = CheckpointHarness.run(java.util.List.of("env", "CRYO_HASH_FILE_MAX=1K",
                    CheckpointHarness.launcher("cr_checkpoint").toString(), "-f", context.toString(),
                    Long.toString(original.pid())), java.time.Duration.ofSeconds(60));
            org.junit.jupiter.api.Assertions.assertEquals(0, r.status(), r.describe());
            original.kill();
            Files.setLastModifiedTime(data, java.nio.file.attribute.FileTime.fromMillis(
                    Files.getLastModifiedTime(data).toMillis() + 60_000));
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data") && message.contains("too large to have been hashed"), message);
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
