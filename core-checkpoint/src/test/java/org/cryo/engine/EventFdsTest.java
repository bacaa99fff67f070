package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * eventfd (counter and semaphore mode), a periodic timerfd with unread expirations, a signalfd
 * with a pending signal and an epoll set watching them come back (program event_fds.c).
 */
class EventFdsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void eventDescriptorsComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("event_fds");
    }
}
