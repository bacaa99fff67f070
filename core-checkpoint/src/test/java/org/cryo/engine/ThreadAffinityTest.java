package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Threads pinned to different CPUs come back pinned to them, not on every CPU of the restarter
 * (program native/tests/programs/thread_affinity.c; GROMACS's case is in RealProgramsTest).
 */
class ThreadAffinityTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pinnedThreadsStayPinned() throws Exception {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "one CPU: every thread is pinned to it");
        CheckpointHarness.checkpointRestartAndPass("thread_affinity");
    }
}
