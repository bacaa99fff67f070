package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a restart would lose is refused at checkpoint time with a one-line error naming the process
 * and the descriptor or resource, the job left running with that state intact (program
 * native/tests/programs/lost_state.c).
 */
class LostStateTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void inotifyEventsNotYetReadAreRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("events not yet read", "lost_state", "inotify-queued");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fanotifyIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("anon_inode:[fanotify]", "lost_state", "fanotify");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void semaphoreUndoIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("undo adjustments (SEM_UNDO)", "lost_state", "sem-undo");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void semaphoreUndoOfAThreadedProcessIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("undo adjustments (SEM_UNDO)", "lost_state", "sem-undo-threads");
    }
}
