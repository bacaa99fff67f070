package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * POSIX timers come back with their ids (gaps included), clocks, signals, values and the time
 * they had left; a thread-directed one signals its thread again (program
 * native/tests/programs/posix_timers.c).
 */
class PosixTimersTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void timersComeBackWithTheirIdsAndSignals() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("posix_timers");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTimerOnAThreadCpuClockIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("a thread's or another process's CPU clock",
                "posix_timers", "thread-clock");
    }
}
