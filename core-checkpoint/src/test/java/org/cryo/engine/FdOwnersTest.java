package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * F_SETOWN_EX owners (a process, a thread), F_SETSIG signals, O_ASYNC and F_SETLEASE leases come
 * back and signal whom they signalled; an owner outside the tree is refused (program
 * native/tests/programs/fd_owners.c).
 */
class FdOwnersTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ownersSignalsAndLeasesComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("fd_owners");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anOwnerOutsideIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("outside the checkpoint (F_SETOWN)", "fd_owners", "outside");
    }
}
