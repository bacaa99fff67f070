package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A forked worker pool still shares its parent's pages copy-on-write after the restart (it used
 * to come back with one private copy of the parent's memory per worker): Pss of the buffer is well
 * below its Rss in every process, each worker has its own pages and zeros where it dropped pages,
 * and the parent writing a page it shared does not change the workers' (program cow_workers.c).
 */
class CowWorkersTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void workersShareTheParentsPagesAgain() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("cow_workers");
    }

    /**
     * A checkpoint of a pool that goes on running leaves its sharing alone: pages were read with
     * process_vm_readv, which pins them, and the kernel gave every process its own copy of a shared
     * page before letting it be pinned (a 64 MiB pool of 4 workers grew from 100 to 360 MiB Pss).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCheckpointLeavesTheRunningPoolShared() throws Exception {
        try (var original = CheckpointHarness.Original.start("cow_workers")) {
            original.checkpoint();
            original.goAndAssertPassed();
        }
    }

    /**
     * A user, not root, checkpoints and restarts the pool: the kernel shows it no page frame
     * numbers, so pages the workers map as often as the parent are compared by contents.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aUsersCheckpointKeepsThePoolSharedToo() throws Exception {
        UnprivilegedUser.ensure();
        Path dir = CheckpointHarness.newWorkDir("cow_workers_user");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path go = dir.resolve("go");
        Path file = dir.resolve("pool.cryo");
        String engine = CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString();
        List<String> command = new ArrayList<>(UnprivilegedUser.as(
                CheckpointHarness.program("cow_workers").toString(), go.toString()));
        try (var original = CheckpointHarness.Original.startCommand(dir, command, Map.of())) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            var checkpoint = CheckpointHarness.run(UnprivilegedUser.as(engine, "checkpoint", "-f", file.toString(),
                    "--tree", "--kill", Long.toString(original.pid())), Duration.ofSeconds(90));
            assertEquals(0, checkpoint.status(), checkpoint.describe());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            Files.createFile(go);
            var restored = CheckpointHarness.run(UnprivilegedUser.as(engine, "restore", file.toString()),
                    Duration.ofSeconds(120));
            assertTrue(restored.out().contains("PASS"), restored.describe());
            assertFalse(restored.out().stream().anyMatch(l -> l.startsWith("FAIL")), restored.describe());
        }
    }
}
