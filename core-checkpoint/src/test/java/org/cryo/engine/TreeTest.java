package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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

    /**
     * --kill returns once the tree is gone, and no process of it waits for an init to reap it as
     * an orphan: the tree runs under a subreaper that never reaps what it adopts (no_reaper.c), so
     * a child whose parent died before it would still be a zombie when the checkpoint returns.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKilledTreeIsReapedByItsOwnParents() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("tree-no-reaper");
        List<String> command = List.of(CheckpointHarness.program("no_reaper").toString(),
                CheckpointHarness.program("tree").toString(), dir.resolve("go").toString());
        try (var original = CheckpointHarness.Original.startCommand(dir, command, java.util.Map.of())) {
            ProcessHandle root = ProcessHandle.of(original.pid()).orElseThrow();
            ProcessHandle reaper = root.parent().orElseThrow();
            try {
                List<ProcessHandle> tree = root.descendants().toList();
                assertTrue(tree.size() >= 5, "the tree has " + tree.size() + " descendants");
                Checkpointer.create().checkpoint(original.pid(),
                        CheckpointOptions.builder().file(dir.resolve("tree.cryo")).endAction(EndAction.KILL).build());
                List<Long> left = new java.util.ArrayList<>();
                for (ProcessHandle p : tree) {
                    if (Files.exists(Path.of("/proc/" + p.pid()))) {
                        left.add(p.pid());
                    }
                }
                assertEquals(List.of(), left, "processes of the tree still in /proc when cr_checkpoint --kill returned");
                assertTrue(Files.notExists(Path.of("/proc/" + original.pid())), "the root is still in /proc");
            } finally {
                reaper.destroy();   // SIGTERM: it kills and reaps what it holds, and exits
                reaper.onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
