package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unix socket pairs between a parent and its child (stream, datagram, seqpacket) with data
 * queued in both directions come back with the data, message boundaries and flags
 * (program unix_sockets.c).
 */
class UnixSocketsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void socketPairsKeepTheirQueues() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("unix_sockets");
    }
}
