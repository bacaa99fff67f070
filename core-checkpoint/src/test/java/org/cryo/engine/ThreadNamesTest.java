package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every thread keeps its own name (PR_SET_NAME), not its leader's (program native/tests/programs/thread_names.c). */
class ThreadNamesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyThreadKeepsItsName() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("thread_names");
    }
}
