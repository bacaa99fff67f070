package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A restart of a tree that fails midway (the root is rebuilt, then a child's PID turns out to
 * be taken) kills and reaps what it had started and leaves nothing behind.
 */
class TreeRestartFailureTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRestartThatFailsMidwayLeavesNothing() throws Exception {
        try (var original = CheckpointHarness.Original.start("tree")) {
            long root = original.pid();
            long[] children = ProcessHandle.of(root).orElseThrow().descendants().mapToLong(ProcessHandle::pid).toArray();
            var context = original.checkpoint();
            // only the root goes: its children keep their PIDs, so the restart gets past the
            // root and fails on the first child
            original.kill();
            CheckpointHarness.awaitGone(root);
            var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            int status = restored.awaitExit();
            assertEquals(Checkpointer.RESTORE_FAILED, status, restored.describe());
            CheckpointHarness.assertOneLineError(restored.err().lines());
            String message = restored.err().lines().get(0);
            assertTrue(message.contains("is taken by tree["), message);
            assertTrue(!Files.exists(Path.of("/proc/" + root)) || !Files.readString(Path.of("/proc/" + root + "/stat"))
                    .contains("(tree)"), "the half-restored root is still there");
            assertTrue(restored.out().lines().isEmpty(), "a restored process ran: " + restored.describe());
            original.go();          // the original children finish and leave...
            CheckpointHarness.awaitGone(children);   // ...before close() removes the go file they poll for
        }
    }
}
