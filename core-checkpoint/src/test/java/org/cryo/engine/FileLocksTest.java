package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** flock, POSIX and OFD locks held at checkpoint time are held again (program file_locks.c). */
class FileLocksTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void locksAreHeldAgain() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("file_locks");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLockSomeoneElseHoldsNowIsAClearError() throws Exception {
        try (var original = CheckpointHarness.Original.start("file_locks")) {
            var context = original.checkpoint();
            // the original still runs and holds its locks: a second copy cannot take them
            var restored = original.restart(context, RestartOptions.builder().restorePid(false).inheritIo(false).build());
            int status = restored.awaitExit();
            assertTrue(status != 0, restored.describe());
            CheckpointHarness.assertOneLineError(restored.err().lines());
            String message = restored.err().lines().get(0);
            assertTrue(message.contains("cannot take the lock") && message.contains(".data"), message);
            original.goAndAssertPassed();
        }
    }
}
