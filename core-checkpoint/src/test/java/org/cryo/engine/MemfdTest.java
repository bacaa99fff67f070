package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A memfd and an unlinked POSIX shm file held open (not only mapped) keep their contents and
 * offsets, and the memfd stays shared with the child (program memfd.c).
 */
class MemfdTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void memfdsHeldOpenComeBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("memfd");
    }
}
