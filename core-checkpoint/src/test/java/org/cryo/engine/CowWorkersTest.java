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

    /**
     * A checkpoint of a pool that goes on running leaves its sharing alone: pages were read with
     * process_vm_readv, which pins them, and the kernel gave every process its own copy of a shared
     * page before letting it be pinned (a 64 MiB pool of 4 workers grew from 100 to 360 MiB Pss).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCheckpointLeavesTheRunningPoolShared() throws Exception {
        try (var original = CheckpointHarness.Original.start("cow_workers")) {
            original.checkpoint();
            original.goAndAssertPassed();
        }
    }
}
