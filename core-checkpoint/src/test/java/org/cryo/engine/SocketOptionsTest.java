package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The options of TCP sockets and Unix socket pairs of the tree come back (program
 * pool_sockopts.c): two listeners sharing a port with SO_REUSEPORT, a listener without
 * SO_REUSEADDR whose port its own accepted connection holds, their backlogs, keepalive, TOS,
 * priority, buffer sizes, linger, timeouts; and every socket still works. Checkpointed with
 * --kill, which closes the connections in repair mode: no FIN, so no TIME_WAIT keeps the
 * listener's port.
 */
class SocketOptionsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void optionsOfTcpSocketsAndSocketPairsComeBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("pool_sockopts");
    }
}
