package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Child subreaper, parent-death signal, oom_score_adj, THP-disable, no_new_privs, a membarrier
 * registration, and scheduling policy and nice in every thread survive the restart (program
 * native/tests/programs/kernel_attrs.c); each used to come back as a fresh process has it.
 */
class KernelAttrsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void subreaperDeathSignalOomThpNoNewPrivsMembarrierSchedulingSurvive() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("kernel_attrs");
    }
}
