package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process tree comes back whole (program tree.c): the root blocked in wait4, a grandchild in
 * a session of its own, a child in its own process group reading a pipe that held data at
 * checkpoint time, a zombie with its exit status, a log file offset shared across fork.
 */
class TreeTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theWholeTreeComesBack() throws Exception {
        try (var original = CheckpointHarness.Original.start("tree")) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            assertTrue(tree.size() >= 5, "the tree has " + tree.size() + " descendants");
            Path file = original.dir().resolve("tree.cryo");
            // BLCR's --kill ends every process of the tree once the file is safe
            Checkpointer.create().checkpoint(original.pid(),
                    CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            for (ProcessHandle p : tree) {
                p.onExit().get(10, TimeUnit.SECONDS);
            }
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
