package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * Eight threads, each blocked somewhere else (mutex, condition variable, futex, nanosleep,
 * barrier, computing) with its own TLS, mask, pending signal, alternate stack and rseq area,
 * all resume where they were (program threads.c).  Repeated: thread timing varies.
 */
class ThreadsTest {
    @RepeatedTest(3)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyThreadResumesWhereItWas() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("threads");
    }
}
