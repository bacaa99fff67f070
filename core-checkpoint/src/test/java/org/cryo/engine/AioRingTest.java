package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process with an AIO context (io_setup) used to be saved with its "[aio]" ring as a deleted
 * shared file and come back with no context behind it; it is refused with a one-line error, and
 * its context still works (program aio_ring.c).
 */
class AioRingTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anAioContextIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("has an AIO context (io_setup)", "aio_ring");
    }
}
