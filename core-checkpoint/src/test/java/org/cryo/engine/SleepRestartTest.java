package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process checkpointed in the middle of sleep(4) sleeps for the time that remained after the
 * restart and sleep returns 0 (program sleep_restart.c).
 */
class SleepRestartTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sleepContinuesForTheRemainingTime() throws Exception {
        try (var original = CheckpointHarness.Original.start("sleep_restart")) {
            Thread.sleep(1000);
            var context = original.checkpoint();
            original.kill();
            long restartedAt = System.nanoTime();
            var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            original.go();
            String line = restored.out().await(l -> l.startsWith("SLEEP_RETURNED") || l.startsWith("FAIL"),
                    Duration.ofSeconds(15));
            double afterRestart = (System.nanoTime() - restartedAt) / 1e9;
            assertTrue(line.equals("SLEEP_RETURNED 0"), line + "\n" + restored.describe());
            // about 3 s of the 4 were left at the checkpoint (taken ~1 s in, plus its own duration)
            assertTrue(afterRestart >= 2.5 && afterRestart < 4.5,
                    "sleep went on for " + afterRestart + " s after the restart, expected the ~3 s that remained");
            restored.assertPassed();
        }
    }
}
