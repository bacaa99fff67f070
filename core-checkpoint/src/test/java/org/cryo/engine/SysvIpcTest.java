package org.cryo.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A System V semaphore set and message queue the tree uses come back with their ids, values and
 * messages, even when they are gone by restart time, as on another node (program sysv_ipc.c).
 */
class SysvIpcTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void semaphoresAndQueuesComeBackWithTheirIds() throws Exception {
        try (var original = CheckpointHarness.Original.start("sysv_ipc")) {
            String[] ids = original.out().lines().stream().filter(l -> l.startsWith("IDS ")).findFirst()
                    .orElseThrow().split(" ");
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = original.dir().resolve("ipc.cryo");
            Checkpointer.create().checkpoint(original.pid(),
                    CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            // System V objects outlive their processes: remove them, as a restart elsewhere would find
            var removed = CheckpointHarness.run(List.of("ipcrm", "-s", ids[1], "-q", ids[2]), Duration.ofSeconds(10));
            org.junit.jupiter.api.Assertions.assertEquals(0, removed.status(), removed.describe());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
