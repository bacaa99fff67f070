package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 7: a normal user's job under cr_run_requeueable, signalled as Slurm signals it before a
 * time limit ({@code scancel --signal=USR1 --batch}), checkpoints and requeues itself as the
 * user, restarts from its context on its next start without any privilege (in a user and PID
 * namespace of its own), does so once more, and finishes with the right result, every step
 * once; Slurm records it COMPLETED 0:0 after two restarts.
 */
@ResourceLock(TestCluster.LOCK)
class UnprivilegedRequeueTest {
    private static final String USER = "cryotest";
    private static final int STEPS = 40;

    private static String headNode;
    private static JobControl slurm;

    @BeforeAll
    static void connect() throws Exception {
        TestCluster.ensureUser(USER);
        Map<String, String> environment = TestCluster.environment();
        slurm = JobControl.open("slurm", environment);
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
            // Twice: the second checkpoint takes the job as its first unprivileged restart brought it back.
            for (int restart = 1; restart <= 2; restart++) {
                TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("scancel", "--signal=USR1", "--batch", jobId)));
                String restarting = "run " + restart + ": restarting from";
                TestCluster.waitUntil("job " + jobId + " to restart", 60,
                        () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains(restarting)));
                int run = restart;
                TestCluster.waitUntil("job " + jobId + " to record its restored process", 30, () -> recorded(jobId, run));
            }
            TestCluster.waitUntil("job " + jobId + " to end", 90,
                    () -> List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT").contains(recordOf(jobId, "JobState")));
            assertEquals("COMPLETED 0:0", recordOf(jobId, "JobState") + " " + recordOf(jobId, "ExitCode"),
                    "Slurm's record; the job's output: " + TestCluster.lines(dir.resolve("job.out")));
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 10);
            assertEquals("2", TestCluster.slurmRecord(jobId, "Restarts"));
            assertTrue(TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.startsWith("run 2 ")),
                    "a third run: " + TestCluster.lines(dir.resolve("job.out")));
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    /** The catalog names the process of run {@code run} (what the next checkpoint takes). */
    private static boolean recorded(String jobId, int run) {
        try {
            return slurm.processes(jobId).stream().anyMatch(p -> p.run().equals(Integer.toString(run)) && p.restored());
        } catch (Exception e) {
            return false;
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
