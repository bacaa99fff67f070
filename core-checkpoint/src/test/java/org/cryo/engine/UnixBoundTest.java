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
 * Unconnected Unix sockets bound to a path, a relative path or an abstract name (stream and
 * seqpacket listeners, a bound stream socket, bound datagram sockets) come back bound, and
 * listening if they were; new clients reach them by name (program unix_bound.c). A listener
 * with a connection waiting in its backlog is refused, naming the fd and the path, and the
 * program carries on untouched.
 */
class UnixBoundTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void boundAndListeningUnixSocketsComeBackBound() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("unix_bound");
    }

    /** Program unix_unlinked.c: bound again, then the file removed again. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void socketsWhoseFileWasRemovedComeBackBoundWithoutIt() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("unix_unlinked");
    }

    /** Program unix_dgram_queued.c: bound datagram sockets read their queued messages after the restart. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void boundDatagramSocketsKeepTheirQueuedMessages() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("unix_dgram_queued");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aQueuedDatagramTooLargeToSaveIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("a message of 4000 bytes queued", "unix_dgram_queued", "big");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aListenerWithConnectionsWaitingIsRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("unix_bound", "pending")) {
            Path file = original.dir().resolve("context.cryo");
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build()));
            CheckpointHarness.assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains("fd 3 ") && e.getMessage().contains("listen.sock")
                    && e.getMessage().contains("1 connections not yet accepted"), e.getMessage());
            original.goAndAssertPassed();
        }
    }
}
