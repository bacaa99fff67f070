package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A file the process holds open is saved by reference and judged by its content at the restart
 * (size, and a hash taken at checkpoint time: FILE_HASHES; mtime is a hint only): if it changed
 * or vanished, the restart refuses with a message naming it; relocated onto a copy with the same
 * content, or touched without a change, it works (program file_changed.c).
 */
class FileChangedTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();

    /** Something done to the held file (old/held.data) between the checkpoint and the restart. */
    private interface Change {
        void apply(Path data) throws Exception;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void modifiedFileIsRefused() throws Exception {
        assertRefusedAfter(data -> Files.write(data, new byte[] {1, 2, 3}, StandardOpenOption.APPEND));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rewrittenFileOfTheSameSizeIsRefused() throws Exception {
        assertRefusedAfter(data -> {
            byte[] bytes = Files.readAllBytes(data);
            bytes[100] ^= 0x55;
            Files.write(data, bytes);   // same size, new mtime
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void deletedFileIsRefused() throws Exception {
        assertRefusedAfter(Files::delete);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void relocatedOntoAnIdenticalCopyWorks() throws Exception {
        assertRestartsOnARelocatedCopy((from, to) -> Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES));
    }

    /** A plain cp: a new inode and a new mtime, the same content (FILE_HASHES): the restart takes it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void relocatedOntoAPlainCopyWithANewMtimeWorks() throws Exception {
        assertRestartsOnARelocatedCopy((from, to) -> {
            Files.copy(from, to);
            Files.setLastModifiedTime(to, later(from));
        });
    }

    /** mtime is a hint only: a file touched but not changed is the same file. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void touchedButUnchangedFileWorks() throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            Files.setLastModifiedTime(data, later(data));
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
            var r = CheckpointHarness.run(List.of("env", "CRYO_HASH_FILE_MAX=1K",
                    CheckpointHarness.launcher("cr_checkpoint").toString(), "-f", context.toString(),
                    Long.toString(original.pid())), Duration.ofSeconds(60));
            assertEquals(0, r.status(), r.describe());
            original.kill();
            Files.setLastModifiedTime(data, later(data));
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data") && message.contains("too large to have been hashed"), message);
        }
    }

    private static void assertRefusedAfter(Change change) throws Exception {
        try (var original = start()) {
            Path data = original.dir().resolve("old/held.data");
            Path context = original.checkpoint();
            original.kill();
            change.apply(data);
            String message = CheckpointHarness.assertRestartRefused(original, context, PLAIN);
            assertTrue(message.contains("held.data"), "the error does not name the file: " + message);
        }
    }

    /** Copies old/held.data into new/ with {@code copy}, removes old/, restarts with --relocate old=new. */
    private static void assertRestartsOnARelocatedCopy(Copy copy) throws Exception {
        try (var original = start()) {
            Path oldDir = original.dir().resolve("old");
            Path newDir = original.dir().resolve("new");
            Path context = original.checkpoint();
            original.kill();
            Files.createDirectory(newDir);
            copy.apply(oldDir.resolve("held.data"), newDir.resolve("held.data"));
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

    private interface Copy {
        void apply(Path from, Path to) throws Exception;
    }

    /** A minute after the file's mtime. */
    private static FileTime later(Path file) throws Exception {
        return FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 60_000);
    }

    private static CheckpointHarness.Original start() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("file_changed");
        Files.createDirectory(dir.resolve("old"));
        return CheckpointHarness.Original.startCommand(dir, List.of(
                CheckpointHarness.program("file_changed").toString(), dir.resolve("go").toString(),
                dir.resolve("old/held.data").toString()), Map.of());
    }
}
