package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The admin verbs of {@code cryo sge checkpoint} (those of {@code cryo slurm checkpoint}) on one
 * real job: able, create (it runs on), disable (create and requeue refused, the job untouched),
 * error, enable, vacate (checkpointed on its host and ended, {@code qhold} + {@code qmod -sj}: it
 * waits held, no work meanwhile), restart ({@code qrls}: it restarts from the context) — and the
 * job still finishes with the right result, each step done once; its end runs clean_command,
 * which removes the catalog.
 */
@ResourceLock(SgeCluster.LOCK)
class SgeAdminVerbsTest {
    private static final int STEPS = 30;
    private static final double SECONDS_PER_STEP = 0.25;

    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
    }

    private static SgeCluster.Result cryoSge(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(SgeCluster.cryo(), "sge", "checkpoint"));
        command.addAll(List.of(arguments));
        return SgeCluster.execute(Path.of("/"), command, Map.of());
    }

    @Test
    void everyVerbOnARealJob() throws Exception {
        Path dir = SgeCluster.jobDir("verbs");
        String jobId = SgeCluster.startCheckpointableJob(dir, STEPS, SECONDS_PER_STEP);
        Path catalog = dir.resolve(".cryo").resolve(jobId);
        SgeCluster.holdWork(dir);   // each cryo command starts a JVM: on a loaded machine the work could end first
        try {
            SgeCluster.Result able = cryoSge("able", jobId);
            assertEquals(0, able.status(), able.output());
            assertTrue(able.output().startsWith("Yes: job " + jobId + " pid "), able.output());

            SgeCluster.Result create = cryoSge("create", jobId);
            assertEquals(0, create.status(), create.output());
            assertTrue(create.output().contains("; it runs on"), create.output());
            assertTrue(Files.exists(catalog.resolve("context.000001")));
            int steps = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            SgeCluster.releaseWork(dir);
            SgeCluster.waitUntil("job " + jobId + " to carry on after create", 30,
                    () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > steps);
            SgeCluster.holdWork(dir);

            assertEquals(0, cryoSge("disable", jobId).status());
            assertEquals("Disabled", cryoSge("able", jobId).output().strip());
            SgeCluster.Result refused = cryoSge("create", jobId);
            assertEquals(2, refused.status(), refused.output());
            assertEquals(1, refused.output().strip().lines().count(), "one line: " + refused.output());
            assertTrue(refused.output().contains("checkpoints are disabled"), refused.output());
            SgeCluster.Result requeueRefused = cryoSge("requeue", jobId);
            assertEquals(2, requeueRefused.status(), requeueRefused.output());
            assertEquals("r", SgeCluster.states(jobId), "the job runs on, untouched");
            SgeCluster.Result error = cryoSge("error", jobId);
            assertTrue(error.output().startsWith("error(1): ") && error.output().contains("disabled"), error.output());
            assertEquals(0, cryoSge("enable", jobId).status());

            SgeCluster.Result vacate = cryoSge("vacate", jobId);
            assertEquals(0, vacate.status(), vacate.output());
            assertTrue(vacate.output().contains("held until"), vacate.output());
            SgeCluster.waitUntil("job " + jobId + " to wait held", 60, () -> SgeCluster.states(jobId).contains("h")
                    && SgeCluster.states(jobId).contains("q"));
            int held = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            Thread.sleep(1500);
            assertEquals(held, SgeCluster.stepsDone(dir.resolve("progress.txt")), "no work while vacated");
            assertEquals(1, SgeCluster.runs(dir).size(), "not rerun while held");

            SgeCluster.Result restart = cryoSge("restart", jobId);
            assertEquals(0, restart.status(), restart.output());
            SgeCluster.waitUntil("job " + jobId + " to restart", 90, () -> SgeCluster.restarted(dir));
            assertTrue(SgeCluster.runs(dir).get(1).matches("run [12] .*"), "a rerun: " + SgeCluster.runs(dir));
            SgeCluster.releaseWork(dir);
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            SgeCluster.waitUntil("job " + jobId + " to end", 60, () -> SgeCluster.states(jobId).isEmpty());
            SgeCluster.waitUntil("clean_command to remove the catalog", 30, () -> !Files.exists(catalog));
        } finally {
            SgeCluster.cleanUp(jobId);
        }
    }
}
