package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Memory a parent and child share stays shared after the restart (program shared_memory.c):
 * MAP_SHARED|MAP_ANONYMOUS with a process-shared mutex, a memfd, an unlinked POSIX semaphore.
 */
class SharedMemoryTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sharedMemoryStaysShared() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("shared_memory");
    }
}
