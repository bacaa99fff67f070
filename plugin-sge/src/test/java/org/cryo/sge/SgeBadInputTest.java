package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Bad input to {@code cryo sge checkpoint}: an unknown job, a job without Cryo's environment, a
 * job of another user, a qmaster that does not answer.  Each is a one-line error with exit status
 * 2, and the job runs on untouched (still running, still doing its steps, no context taken).
 */
@ResourceLock(SgeCluster.LOCK)
class SgeBadInputTest {
    private static final int STEPS = 40;
    private static final double SECONDS_PER_STEP = 0.2;

    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
    }

    @Test
    void unknownJob() throws Exception {
        SgeCluster.Result r = SgeCluster.execute(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "checkpoint", "requeue",
                "999999"), Map.of());
        assertOneLineError(r, "unknown job 999999");
    }

    @Test
    void jobWithoutTheEnvironmentIsRefusedAndUntouched() throws Exception {
        Path dir = SgeCluster.jobDir("noenv");
        SgeCluster.checkpointableScript(dir, STEPS, SECONDS_PER_STEP);
        String jobId = SgeCluster.qsub(dir, "-r", "y");
        try {
            SgeCluster.awaitSteps(dir, jobId, 2);
            SgeCluster.holdWork(dir);   // a loaded machine must not let the work end before the checks
            SgeCluster.Result r = SgeCluster.execute(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "checkpoint",
                    "requeue", jobId), Map.of());
            assertOneLineError(r, "has no checkpointing environment");
            assertUntouched(dir, jobId);
        } finally {
            SgeCluster.cleanUp(jobId);
        }
    }

    @Test
    void anotherUsersJobAndAnUnansweringQmasterAreRefusedAndTheJobUntouched() throws Exception {
        Path dir = SgeCluster.jobDir("others");
        String jobId = SgeCluster.startCheckpointableJob(dir, STEPS, SECONDS_PER_STEP);
        SgeCluster.holdWork(dir);   // each cryo command starts a JVM: the work must not end before the checks
        try {
            for (String verb : List.of("requeue", "create", "vacate", "disable")) {
                SgeCluster.Result r = SgeCluster.execute(Path.of("/"), List.of("runuser", "-u", "nobody", "--",
                        SgeCluster.cryo(), "sge", "checkpoint", verb, jobId), Map.of("HOME", "/tmp"));
                assertOneLineError(r, "permission denied: job " + jobId + " (r on ");
                assertTrue(r.output().contains(") belongs to root; only its owner, root or a gridengine operator"), r.output());
            }
            // A qmaster nobody can reach: the clients' port points where none listens.
            SgeCluster.Result r = SgeCluster.execute(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "checkpoint",
                    "requeue", jobId), Map.of("SGE_QMASTER_PORT", "1", "CRYO_SGE_DRMAA", "no"));
            assertOneLineError(r, "qmaster does not answer");
            assertUntouched(dir, jobId);
        } finally {
            SgeCluster.cleanUp(jobId);
        }
    }

    private static void assertOneLineError(SgeCluster.Result r, String text) {
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.output().strip().lines().count(), "one line: " + r.output());
        assertTrue(r.output().contains(text), r.output());
    }

    private static void assertUntouched(Path dir, String jobId) throws Exception {
        assertEquals("r", SgeCluster.states(jobId));
        int steps = SgeCluster.stepsDone(dir.resolve("progress.txt"));
        SgeCluster.releaseWork(dir);
        SgeCluster.waitUntil("job " + jobId + " to carry on", 30, () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > steps);
        assertEquals(List.of(), SgeCluster.lines(dir.resolve(".cryo").resolve(jobId).resolve("context.000001")));
        assertEquals(1, SgeCluster.runs(dir).size(), "not rerun");
    }
}
