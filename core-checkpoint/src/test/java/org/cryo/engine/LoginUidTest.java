package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The audit login uid (/proc/PID/loginuid) used to come back as the restarter's: root restores
 * the recorded one (program native/tests/programs/loginuid.c sets 4242, which no one else has).
 */
class LoginUidTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rootRestoresTheRecordedLoginUid() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "as root: only root may set a loginuid");
        CheckpointHarness.checkpointRestartAndPass("loginuid");
    }
}
