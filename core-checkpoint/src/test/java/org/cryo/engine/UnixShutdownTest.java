package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unix socket pairs of all three types, shut down for reading, writing or both, from one end
 * or both, come back shut down the same way with their queued data; a seqpacket pair after
 * shutdown() no longer makes the checkpoint spin (program unix_shutdown.c).
 */
class UnixShutdownTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shutDownSocketPairsComeBackShutDown() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("unix_shutdown");
    }
}
