package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A root process that gave up most of its capabilities (permitted, effective, inheritable,
 * ambient, bounding) used to come back with all of the restarter's: it gets its own sets back
 * (program native/tests/programs/capabilities.c).  Sets the restart cannot give are refused.
 */
class CapabilitiesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void reducedCapabilitiesOfARootProcessSurvive() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "as root: a process with capabilities to give up");
        CheckpointHarness.checkpointRestartAndPass("capabilities");
    }
}
