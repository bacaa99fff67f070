package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several open files of one FIFO or pipe (read and write ends with different O_NONBLOCK, an
 * O_RDWR one, a child's own) come back as separate open files with their own flags
 * (program pipe_open_files.c).
 */
class PipeOpenFilesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void eachOpenFileOfAPipeKeepsItsOwnFlags() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("pipe_open_files");
    }
}
