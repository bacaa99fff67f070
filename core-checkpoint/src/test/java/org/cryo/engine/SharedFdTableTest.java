package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A descriptor table shared by two processes (CLONE_FILES), or a thread with a table of its own,
 * is refused with a one-line error, the job left running (program
 * native/tests/programs/shared_fd_table.c).
 */
class SharedFdTableTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTableSharedByTwoProcessesIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("share one descriptor table (CLONE_FILES)",
                "shared_fd_table", "process");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aThreadWithATableOfItsOwnIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("has a descriptor table of its own",
                "shared_fd_table", "thread");
    }
}
