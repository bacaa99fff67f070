package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the context file promises: private, complete, and no bigger than the memory written. */
class ContextFileTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theFileIsPrivateAndAlone() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path out = original.dir().resolve("out");
            Files.createDirectory(out);
            Path file = out.resolve("context.cryo");
            Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build());
            assertEquals(List.of("context.cryo"), CheckpointHarness.listNames(out), "temporary files left");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            Checkpointer.create().verify(file);
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void untouchedMemoryCostsNothing() throws Exception {
        try (var original = CheckpointHarness.Original.start("sparse_memory", "4096")) {
            Path file = original.dir().resolve("context.cryo");
            CheckpointResult result = Checkpointer.create()
                    .checkpoint(original.pid(), CheckpointOptions.builder().file(file).build());
            long written = 4096L * 1024 * 1024 / 100;         // every 100th page of 4 GiB
            assertTrue(result.pageBytes() <= written + (8 << 20),
                    "page data " + result.pageBytes() + " bytes for " + written + " bytes written");
            assertTrue(Files.size(file) <= written + (16 << 20), "file of " + Files.size(file) + " bytes");
            original.kill();
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTakenPidIsNamedWithItsHolder() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path file = original.checkpoint();
            // the original still runs: its PID is taken
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            int status = restored.awaitExit();
            assertEquals(Checkpointer.RESTORE_FAILED, status, restored.describe());
            CheckpointHarness.assertOneLineError(restored.err().lines());
            String message = restored.err().lines().get(0);
            assertTrue(message.contains("PID " + original.pid() + " is taken by baseline[" + original.pid() + "]"),
                    message);
            assertTrue(message.contains("--no-restore-pid"), message);
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSuspendedProcessStaysSuspended() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            String pid = Long.toString(original.pid());
            CheckpointHarness.run(List.of("kill", "-STOP", pid), java.time.Duration.ofSeconds(5));
            Path file = original.dir().resolve("context.cryo");
            Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build());
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            assertTrue(status.contains("State:\tT"), "the suspended process runs again after its checkpoint");
            CheckpointHarness.run(List.of("kill", "-CONT", pid), java.time.Duration.ofSeconds(5));
            original.goAndAssertPassed();
        }
    }
}
