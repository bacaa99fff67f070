package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** sched_getcpu() and glibc's rseq area (cpu_id) are valid after the restart (program native/tests/programs/rseq_getcpu.c). */
class RseqGetcpuTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rseqAreaStaysRegistered() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("rseq_getcpu");
    }
}
