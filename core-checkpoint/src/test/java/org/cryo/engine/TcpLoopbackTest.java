package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP on loopback between two processes of the tree, with data in flight both ways, and a
 * listening socket, come back through TCP_REPAIR (program tcp_loopback.c).
 */
class TcpLoopbackTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLoopbackConnectionCarriesOn() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("tcp_loopback");
    }
}
