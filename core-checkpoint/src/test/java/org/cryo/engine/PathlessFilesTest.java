package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.cryo.engine.CheckpointHarness.Original;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Open files that no path brings back are refused at checkpoint time, by what they are, and the
 * process runs on untouched: a POSIX message queue, named or not, secret memory, and a file whose
 * directory another file system now covers, so that its path reaches another file or none
 * (program native/tests/programs/pathless_files.c).
 */
class PathlessFilesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMessageQueueIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("a POSIX message queue", "pathless_files", "mqueue");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anUnlinkedMessageQueueIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("a POSIX message queue", "pathless_files", "mqueue_unlinked");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void secretMemoryIsRefused() throws Exception {
        try (Original probe = Original.start("pathless_files", "secretmem")) {
            Assumptions.assumeFalse(probe.out().lines().stream().anyMatch(l -> l.startsWith("SKIP")),
                    "no memfd_secret here: " + probe.out());
        }
        CheckpointHarness.assertCheckpointRefusedAndUntouched("secret memory (memfd_secret)", "pathless_files", "secretmem");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFileWhoseDirectoryIsCoveredIsRefused() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("pathless_files");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path file = Files.writeString(sub.resolve("data"), "");
        try (Original original = Original.startCommand(dir, List.of(CheckpointHarness.program("pathless_files").toString(),
                dir.resolve("go").toString(), "covered", file.toString()), Map.of())) {
            mountTmpfs(sub);
            try {
                assertRefused(original, "reaches nothing");
                Files.writeString(file, "another");
                assertRefused(original, "reaches another file");
            } finally {
                CheckpointHarness.run(List.of("umount", "-l", sub.toString()), Duration.ofSeconds(10));
            }
            original.goAndAssertPassed();
        }
    }

    private static void mountTmpfs(Path at) throws Exception {
        var mount = CheckpointHarness.run(List.of("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", at.toString()),
                Duration.ofSeconds(10));
        Assumptions.assumeTrue(mount.status() == 0, "cannot mount a tmpfs: " + mount.describe());
    }

    private static void assertRefused(Original original, String reason) throws Exception {
        CheckpointException e = assertThrows(CheckpointException.class, original::checkpoint);
        CheckpointHarness.assertOneLine(e.getMessage());
        assertTrue(e.getMessage().contains(reason) && e.getMessage().contains("cannot save it by reference"),
                e.getMessage());
        assertFalse(Files.exists(original.dir().resolve("context.cryo")), "a context file was left");
        assertTrue(original.isAlive(), "the checkpoint killed the process");
        assertEquals(List.of(), CheckpointHarness.listNames(original.dir()).stream()
                .filter(n -> n.contains("context")).toList());
    }
}
