package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 7: a normal user's job under cr_run_requeueable, signalled as Slurm signals it before a
 * time limit ({@code scancel --signal=USR1 --batch}), checkpoints and requeues itself as the
 * user, restarts from its context on its next start without any privilege, and finishes with
 * the right result, every step once; Slurm records it COMPLETED 0:0 after one restart.
 */
@ResourceLock(TestCluster.LOCK)
class UnprivilegedRequeueTest {
    private static final String USER = "cryotest";
    private static final int STEPS = 30;

    private static String headNode;

    @BeforeAll
    static void connect() throws Exception {
        TestCluster.ensureUser(USER);
        Map<String, String> environment = TestCluster.environment();
        headNode = environment.get("SLURM_NODES").split(" ")[0];
    }

    @Test
    void aUsersJobIsRequeuedAndRestartsWithoutPrivilege() throws Exception {
        Path dir = TestCluster.userJobDir(USER, "user-requeue");
        TestCluster.requeueableScript(dir, STEPS, 0.3);
        String jobId = TestCluster.sbatchAs(USER, dir, "-w", headNode, dir.resolve("job.sh").toString());
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            TestCluster.run(Path.of("/"), List.of("scancel", "--signal=USR1", "--batch", jobId));
            TestCluster.waitUntil("job " + jobId + " to restart", 60,
                    () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
            TestCluster.waitUntil("job " + jobId + " to end", 90,
                    () -> List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT").contains(recordOf(jobId, "JobState")));
            assertEquals("COMPLETED 0:0", recordOf(jobId, "JobState") + " " + recordOf(jobId, "ExitCode"),
                    "Slurm's record; the job's output: " + TestCluster.lines(dir.resolve("job.out")));
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 10);
            assertEquals("1", TestCluster.slurmRecord(jobId, "Restarts"));
            assertTrue(TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.startsWith("run 1 ")),
                    "a second run: " + TestCluster.lines(dir.resolve("job.out")));
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    private static String recordOf(String jobId, String field) {
        try {
            return TestCluster.slurmRecord(jobId, field);
        } catch (Exception | AssertionError e) {
            return "";
        }
    }
}
