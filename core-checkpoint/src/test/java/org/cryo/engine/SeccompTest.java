package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process with a thread under SECCOMP_MODE_STRICT used to be killed by the checkpoint (its first
 * injected syscall): it is refused with a one-line error naming seccomp, before anything is
 * injected, and runs on unharmed.  One under seccomp filters used to come back without them: its
 * filters, stacked, come back in every thread (root; program native/tests/programs/seccomp_target.c).
 */
class SeccompTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aThreadInStrictModeIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("runs under SECCOMP_MODE_STRICT", "seccomp_target", "strict");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void seccompFiltersComeBackInEveryThread() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("seccomp_target", "filter");
    }
}
