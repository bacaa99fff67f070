package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Interval timers, resource limits, cwd, umask, personality and the thread name survive the restart (program native/tests/programs/process_attrs.c). */
class ProcessAttrsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void timersLimitsCwdUmaskPersonalitySurvive() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("process_attrs");
    }
}
