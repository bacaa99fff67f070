package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An epoll entry registered through a descriptor since closed (a dup kept, another file now at
 * the number) still watches its own file after the restart (program
 * native/tests/programs/epoll_dups.c).
 */
class EpollDupsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anEntryWatchesTheFileItWasRegisteredWith() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("epoll_dups");
    }
}
