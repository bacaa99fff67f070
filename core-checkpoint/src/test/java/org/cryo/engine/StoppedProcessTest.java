package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child stopped by job control (SIGSTOP) used to come back running: it comes back stopped, and
 * its parent sees it stopped, continues it and sees WCONTINUED (program
 * native/tests/programs/stopped_child.c).
 */
class StoppedProcessTest {
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aStoppedChildComesBackStoppedAndContinues() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("stopped_child");
    }
}
