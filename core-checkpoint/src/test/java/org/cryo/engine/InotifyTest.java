package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** inotify watches come back with their paths and watch numbers (program inotify.c). */
class InotifyTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void watchesKeepTheirNumbers() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("inotify");
    }
}
