package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A forked worker pool still shares its parent's pages copy-on-write after the restart (it used
 * to come back with one private copy of the parent's memory per worker): Pss of the buffer is well
 * below its Rss in every process, each worker has its own pages and zeros where it dropped pages,
 * and the parent writing a page it shared does not change the workers' (program cow_workers.c).
 */
class CowWorkersTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void workersShareTheParentsPagesAgain() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("cow_workers");
    }
}
