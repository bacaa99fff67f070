package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The original PID comes back by default; restorePid(false) gives a new one (program pid_restore.c). */
class PidRestoreTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void originalPidIsRestored() throws Exception {
        try (var original = CheckpointHarness.Original.start("pid_restore")) {
            var context = original.checkpoint();
            original.kill();
            var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            long[] pids = reportedPids(restored);
            assertEquals(original.pid(), pids[0]);
            assertEquals(original.pid(), pids[1], "the restored process runs with another PID");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void newPidWhenAskedFor() throws Exception {
        try (var original = CheckpointHarness.Original.start("pid_restore", "new")) {
            var context = original.checkpoint();
            original.kill();
            var restored = original.restart(context,
                    RestartOptions.builder().restorePid(false).inheritIo(false).build());
            original.go();
            restored.assertPassed();
            long[] pids = reportedPids(restored);
            assertEquals(original.pid(), pids[0]);
            assertNotEquals(original.pid(), pids[1], "restorePid(false) but the original PID came back");
            System.out.println("pid_restore: restorePid(false) ran as PID " + pids[1] + " (was " + pids[0] + ")");
        }
    }

    private static long[] reportedPids(CheckpointHarness.Restored restored) {
        String line = restored.out().lines().stream().filter(l -> l.startsWith("PID ")).findFirst()
                .orElseThrow(() -> new AssertionError("no PID line: " + restored.describe()));
        String[] parts = line.split(" ");
        return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])};
    }
}
