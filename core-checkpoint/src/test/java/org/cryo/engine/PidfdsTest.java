package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * pidfds of processes of the tree, a zombie's included, name the same processes after the
 * restart; one of a process outside the tree is refused (program native/tests/programs/pidfds.c).
 */
class PidfdsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pidfdsNameTheirProcessesAgain() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("pidfds");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPidfdOfAProcessOutsideIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("outside the checkpoint", "pidfds", "outside");
    }
}
