package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A FIFO between parent and child keeps its data and its path (program fifo.c); a reader whose
 * other end nobody holds comes back as it was (program fifo_no_writer.c).
 */
class FifoTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fifoKeepsItsDataAndPath() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("fifo");
    }

    /** Program fifo_no_writer.c: a reader that never saw a writer, whose other end no process holds. */
    /** A FIFO open after its path was unlinked keeps its bytes and comes back unlinked (program fifo_unlinked.c). */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anUnlinkedFifoComesBackUnlinkedWithItsData() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("fifo_unlinked");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aReaderThatNeverSawAWriterStillSeesNone() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("fifo_no_writer");
    }
}
