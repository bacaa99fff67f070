package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Grid Engine drives Cryo: a job submitted with {@code -ckpt cryo -r y}, its work under cr_run,
 * is migrated by Grid Engine's own paths ({@code qmod -sj}, DRMAA SUSPEND, {@code cryo sge migrate
 * --host}): the execd runs Cryo's migr_command, which checkpoints and ends the job; Grid Engine
 * reschedules it (RESTARTED=2) and cr_run restarts from the context.  The work before the
 * checkpoint is done once: every STEP line once, the known RESULT.  Each migration is steered to
 * the other host (the job's own queue instance disabled meanwhile), which is also the
 * two-host migration, and keeps the rerun from waiting for the old run's clean-up (12-14 s).
 */
@ResourceLock(SgeCluster.LOCK)
class SgeMigrationTest {
    private static final int STEPS = 40;
    private static final double SECONDS_PER_STEP = 0.25;
    private static SgeDrmaa drmaa;

    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
        drmaa = SgeDrmaa.open();
    }

    @AfterAll
    static void closeDrmaa() {
        if (drmaa != null) {
            drmaa.close();
        }
    }

    @Test
    void qmodSuspendMigratesTheJobToTheOtherHostAndItFinishesHavingDoneTheWorkOnce() throws Exception {
        migrate("qmod", (jobId) -> SgeCluster.run(Path.of("/"), List.of("qmod", "-sj", jobId), Map.of(), 0));
    }

    @Test
    void drmaaSuspendIsTheSameMigration() throws Exception {
        migrate("drmaa", (jobId) -> {
            assertEquals("RUNNING", drmaa.status(jobId));
            drmaa.control(jobId, SgeDrmaa.Action.SUSPEND);
            return "";
        });
    }

    @Test
    void migrateHostMovesItsCheckpointableJobsToTheOtherHost() throws Exception {
        Path dir = SgeCluster.jobDir("migrate-host");
        String jobId = SgeCluster.startCheckpointableJob(dir, STEPS, SECONDS_PER_STEP);
        String from = SgeCluster.hostOf(jobId);
        try {
            String out = SgeCluster.run(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "migrate", "--host", from),
                    Map.of(), 0);
            assertTrue(out.contains("1 job(s) migrated"), out);
            SgeCluster.waitUntil("job " + jobId + " to restart", 90, () -> SgeCluster.restarted(dir));
            assertNotEquals(from, SgeCluster.hostOf(jobId));
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
        } finally {
            SgeCluster.run(Path.of("/"), List.of("qmod", "-e", "*@" + from), Map.of(), 0);
            SgeCluster.cleanUp(jobId);
        }
    }

    @FunctionalInterface
    interface Suspend {
        String apply(String jobId) throws Exception;
    }

    /** Starts a job, steers it off its host, suspends it as given; checks the rerun and the result. */
    private static void migrate(String name, Suspend suspend) throws Exception {
        Path dir = SgeCluster.jobDir(name);
        String jobId = SgeCluster.startCheckpointableJob(dir, STEPS, SECONDS_PER_STEP);
        String from = SgeCluster.hostOf(jobId);
        String queueInstance = "all.q@" + from;
        try {
            SgeCluster.run(Path.of("/"), List.of("qmod", "-d", queueInstance), Map.of(), 0);
            Path catalog = dir.resolve(".cryo").resolve(jobId);
            long start = System.nanoTime();
            suspend.apply(jobId);
            SgeCluster.waitUntil("the migration's context file", 60, () -> Files.exists(catalog.resolve("context.000001")));
            long checkpointed = System.nanoTime();
            SgeCluster.waitUntil("job " + jobId + " to run again", 90, () -> SgeCluster.runs(dir).size() == 2);
            long rescheduled = System.nanoTime();
            SgeCluster.waitUntil("job " + jobId + " to restart", 60, () -> SgeCluster.restarted(dir));
            int stepsAtRestart = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            SgeCluster.waitUntil("job " + jobId + " to do a step after its restart", 60,
                    () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > stepsAtRestart);
            long resumed = System.nanoTime();
            System.out.printf("TIMING %s: suspend->checkpoint %.2f s, ->rescheduled %.2f s, ->resumed %.2f s%n", name,
                    (checkpointed - start) / 1e9, (rescheduled - start) / 1e9, (resumed - start) / 1e9);

            List<String> runs = SgeCluster.runs(dir);
            assertTrue(runs.get(0).startsWith("run 0 on " + from + " "), runs.toString());
            assertTrue(runs.get(1).matches("run [12] on .*"), "RESTARTED=2 after migr_command (8.1.9 gives 1 at times): " + runs);
            assertTrue(!runs.get(1).startsWith("run 2 on " + from + " "), "the rerun is on the other host: " + runs);
            List<String> progress = SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            SgeCluster.waitUntil("job " + jobId + " to end", 60, () -> SgeCluster.states(jobId).isEmpty());
            assertEquals(List.of("exit 0"), SgeCluster.lines(dir.resolve("job.out")).stream().filter(l -> l.startsWith("exit "))
                    .toList(), "the first run's script was ended with its work, not carried on");
            assertTrue(progress.get(1).endsWith(" " + from) && progress.get(STEPS).endsWith(" " + SgeCluster.hostOf(jobId))
                    || !progress.get(STEPS).endsWith(" " + from), "the last steps ran on the other host: " + progress);
        } finally {
            SgeCluster.run(Path.of("/"), List.of("qmod", "-e", queueInstance), Map.of(), 0);
            SgeCluster.cleanUp(jobId);
        }
    }
}
