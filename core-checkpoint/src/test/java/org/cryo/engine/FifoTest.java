package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A FIFO between parent and child keeps its data and its path (program fifo.c). */
class FifoTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fifoKeepsItsDataAndPath() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("fifo");
    }
}
