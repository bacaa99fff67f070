package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pipe or FIFO whose other end is closed everywhere is restored, not refused: the reader
 * gets the buffered data then EOF, the writer EPIPE and SIGPIPE (program pipe_closed_ends.c).
 */
class PipeClosedEndsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pipesWithTheirOtherEndClosedComeBackSo() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("pipe_closed_ends");
    }
}
