package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code when m}: the execd runs Cryo's ckpt_command every queue {@code min_cpu_interval}; each
 * call checkpoints the job, which runs on, into its catalog (the last 3 kept).  Here the queue's
 * interval is 5 s for the test's duration.
 */
@ResourceLock(SgeCluster.LOCK)
class SgePeriodicCheckpointTest {
    private static final int STEPS = 60;
    private static final double SECONDS_PER_STEP = 0.3;

    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
    }

    @Test
    void theQueuesMinCpuIntervalCheckpointsTheRunningJob() throws Exception {
        String queue = SgeCluster.environment().getOrDefault("CRYO_SGE_QUEUE", "all.q");
        String interval = new SgeCommands(SgeCluster.environment()).queueAttribute(queue, "min_cpu_interval");
        SgeCluster.run(Path.of("/"), List.of("qconf", "-mattr", "queue", "min_cpu_interval", "00:00:05", queue), Map.of(), 0);
        String jobId = null;
        try {
            Path dir = SgeCluster.jobDir("periodic");
            jobId = SgeCluster.startCheckpointableJob(dir, STEPS, SECONDS_PER_STEP);
            Path catalog = dir.resolve(".cryo").resolve(jobId);
            SgeCluster.waitUntil("two periodic checkpoints", 60, () -> Files.exists(catalog.resolve("context.000002")));
            int steps = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            assertTrue(steps < STEPS, "checkpointed while it ran");
            String id = jobId;
            SgeCluster.waitUntil("job " + jobId + " to run on", 30,
                    () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > steps && SgeCluster.states(id).equals("r"));
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            assertTrue(SgeCluster.runs(dir).size() == 1, "never rerun: " + SgeCluster.runs(dir));
        } finally {
            SgeCluster.run(Path.of("/"), List.of("qconf", "-mattr", "queue", "min_cpu_interval", interval, queue), Map.of(), 0);
            SgeCluster.cleanUp(jobId);
        }
    }
}
