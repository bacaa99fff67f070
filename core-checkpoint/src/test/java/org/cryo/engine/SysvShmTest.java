package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * System V shared memory segments (a private one marked for removal and a keyed one) keep
 * their ids, addresses and contents and stay shared between parent and child (program sysv_shm.c).
 */
class SysvShmTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sysvSegmentsComeBackShared() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("sysv_shm");
    }
}
