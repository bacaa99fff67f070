package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pipe or FIFO whose other end is closed everywhere is restored, not refused: the reader
 * gets the buffered data then EOF, the writer EPIPE and SIGPIPE (program pipe_closed_ends.c).
 * One whose other end a process outside the tree still holds is refused, whichever end the
 * tree has (program pipe_outside.c).
 */
class PipeClosedEndsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pipesWithTheirOtherEndClosedComeBackSo() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("pipe_closed_ends");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aReadEndWhoseWriterIsOutsideIsRefused() throws Exception {
        refusedAsLeadingOutside("reader");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWriteEndWhoseReaderIsOutsideIsRefused() throws Exception {
        refusedAsLeadingOutside("writer");
    }

    private static void refusedAsLeadingOutside(String end) throws Exception {
        try (var original = CheckpointHarness.Original.start("pipe_outside", end)) {
            Path file = original.dir().resolve("context.cryo");
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build()));
            CheckpointHarness.assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains("fd 3 ") && e.getMessage().contains("outside the checkpoint"), e.getMessage());
            original.goAndAssertPassed();
        }
    }
}
