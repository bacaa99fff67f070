package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sigactions, ignored signal, sigaltstack, blocked mask, process-wide and per-thread pending signals (with sigqueue values) survive and are delivered after the restart (program native/tests/programs/signals.c). */
class SignalsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void signalStateAndPendingSignalsSurvive() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("signals");
    }
}
