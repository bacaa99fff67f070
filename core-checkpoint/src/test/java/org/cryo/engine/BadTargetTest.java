package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Targets that must be refused with a one-line error, leaving no file and the target untouched:
 * a PID that does not exist, another user's process, a set-id process, a non-dumpable one.
 */
class BadTargetTest {
    @BeforeAll
    static void user() throws Exception {
        UnprivilegedUser.ensure();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void nonexistentPidThroughTheApi() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("nopid");
        try {
            long pid = unusedPid();
            Path file = dir.resolve("context.cryo");
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpointer.create().checkpoint(pid, CheckpointOptions.builder().file(file).build()));
            CheckpointHarness.assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains("no such process"), e.getMessage());
            assertEquals(List.of(), CheckpointHarness.listNames(dir));
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nonexistentPidThroughTheLauncher() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("nopid");
        try {
            long pid = unusedPid();
            var result = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(),
                    "-f", dir.resolve("context.cryo").toString(), Long.toString(pid)), Duration.ofSeconds(30));
            assertNotEquals(0, result.status(), result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            assertTrue(String.join("\n", result.err()).contains("no such process"), result.describe());
            assertEquals(List.of(), CheckpointHarness.listNames(dir));
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anotherUsersProcessIsRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path out = original.dir().resolve("out");
            Files.createDirectory(out);
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
            var result = CheckpointHarness.run(UnprivilegedUser.as(CheckpointHarness.launcher("cr_checkpoint").toString(),
                    "-f", out.resolve("context.cryo").toString(), Long.toString(original.pid())), Duration.ofSeconds(30));
            assertNotEquals(0, result.status(), result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            assertTrue(String.join("\n", result.err()).contains("permission denied"), result.describe());
            assertEquals(List.of(), CheckpointHarness.listNames(out));
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void setIdProcessIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("set-id", "setid");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void nonDumpableProcessIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("not dumpable", "nondumpable");
    }

    /**
     * The kernel hands out PIDs below pid_max only, so pid_max itself never names a process: a
     * free PID found by looking could be taken (by this JVM's own threads, as the counter wraps)
     * before the checkpoint looks at it.
     */
    private static long unusedPid() throws Exception {
        return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).trim());
    }
}
