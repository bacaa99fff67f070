package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A MAP_SHARED mapping of /dev/zero made before a fork is still one shared memory between parent
 * and child after the restart, with its contents (program mem_devzero_shared.c).
 */
class MemDevZeroSharedTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sharedDevZeroStaysShared() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("mem_devzero_shared");
    }
}
