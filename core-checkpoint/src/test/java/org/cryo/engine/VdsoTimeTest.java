package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** clock_gettime, gettimeofday and time() work after the restart; monotonic clocks never go backwards (program native/tests/programs/vdso_time.c). */
class VdsoTimeTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void timeFunctionsWorkAndMonotonicClocksDoNotGoBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("vdso_time");
    }
}
