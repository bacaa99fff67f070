package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process checkpointed while blocked in read() on stdin (a pipe) reads, after the restart, a
 * line written to the restart helper's stdin, and the read is not interrupted (program read_blocked.c).
 */
class ReadBlockedTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void blockedReadCompletesFromTheNewStdin() throws Exception {
        try (var original = CheckpointHarness.Original.start("read_blocked")) {
            Thread.sleep(300);
            var context = original.checkpoint();
            original.kill();
            var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            original.go();
            Thread.sleep(300);
            restored.writeStdin("hello after restart\n");
            restored.assertPassed();
            assertTrue(restored.out().lines().contains("GOT hello after restart"), restored.describe());
        }
    }
}
