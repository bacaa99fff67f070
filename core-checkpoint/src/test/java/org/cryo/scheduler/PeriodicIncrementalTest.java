package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CheckpointHarness;
import org.junit.jupiter.api.Test;

/**
 * cr_run's periodic checkpoints (and so the adapters') are incremental, with a full one every
 * {@code checkpoint.full_every} ({@code $CRYO_FULL_EVERY}); the catalog's retention keeps every file a kept one needs (issue 15).
 */
class PeriodicIncrementalTest {
    private static List<String> names(JobDirectory dir) throws Exception {
        return dir.contexts().stream().map(p -> p.getFileName().toString()).toList();
    }

    @Test
    void periodicCheckpointsFormChainsThatRetentionKeepsWhole() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_heap_stack")) {
            JobDirectory dir = new JobCatalog(original.dir().resolve(".cryo"), 2).job("7", System.getProperty("user.name"));
            dir.create();
            Checkpointer engine = Checkpointer.create();
            int[] depths = {0, 1, 2, 0, 1};       // a full one every 3
            for (int i = 0; i < depths.length; i++) {
                Path parent = PeriodicCheckpoints.incrementalParent(dir, 3);
                PeriodicCheckpoints.checkpointOnceWith(original.pid(), dir, 3);
                Path latest = dir.latest().orElseThrow();
                assertEquals(depths[i], engine.chainLink(latest).depth(), "checkpoint " + (i + 1) + " on " + parent);
                if (i == 3) {
                    // keep 2: the last two, and the chain under the older of them (3 -> 2 -> 1)
                    assertEquals(List.of("context.000001", "context.000002", "context.000003", "context.000004"), names(dir));
                }
            }
            assertEquals(List.of("context.000004", "context.000005"), names(dir), "the old chain went as a whole");
            original.kill();
            var restored = original.restart(dir.latest().orElseThrow(), RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    void fullEveryComesFromTheEnvironment() {
        assertEquals(PeriodicCheckpoints.DEFAULT_FULL_EVERY, PeriodicCheckpoints.fullEvery(java.util.Map.of()));
        assertEquals(4, PeriodicCheckpoints.fullEvery(java.util.Map.of(PeriodicCheckpoints.FULL_EVERY_VARIABLE, "4")));
        assertTrue(PeriodicCheckpoints.fullEvery(java.util.Map.of(PeriodicCheckpoints.FULL_EVERY_VARIABLE, "x")) > 1);
    }

    @Test
    void fullEveryComesFromCryoConfToo() throws Exception {
        Path conf = java.nio.file.Files.createTempFile("cryo-conf-", ".conf");
        try {
            java.nio.file.Files.writeString(conf, "checkpoint.full_every = 3\n");
            var env = new java.util.HashMap<String, String>(java.util.Map.of(CryoConfig.FILE_VARIABLE, conf.toString()));
            CryoConfig config = CryoConfig.load(env, new CryoConfig.Identity(0, 0));
            assertEquals(List.of(), config.notices(), "the key is known");
            assertEquals(3, PeriodicCheckpoints.fullEvery(config.environment()));
            env.put(PeriodicCheckpoints.FULL_EVERY_VARIABLE, "5");
            assertEquals(5, PeriodicCheckpoints.fullEvery(CryoConfig.load(env, new CryoConfig.Identity(0, 0)).environment()),
                    "the environment wins over the file");
        } finally {
            java.nio.file.Files.deleteIfExists(conf);
        }
    }
}
