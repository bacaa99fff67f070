package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guard pages (MADV_GUARD_INSTALL) come back where they were, in a parent and in a child that
 * inherited them and added one (the checkpoint used to fail reading them); the pages around them
 * keep their contents (program mem_guard.c).
 */
class MemGuardTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void guardPagesComeBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("mem_guard");
    }
}
