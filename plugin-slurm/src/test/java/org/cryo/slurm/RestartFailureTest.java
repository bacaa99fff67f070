package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 7: a batch job is never reported finished because its restart failed.  The job is
 * vacated (checkpointed, requeued held), its latest context file is then truncated, and the job
 * released: cr_run's restart fails, cr_run exits 125 (never running the work again from the top),
 * and Slurm's own record says FAILED with exit code 125.
 */
@ResourceLock(TestCluster.LOCK)
class RestartFailureTest {
    private static JobControl slurm;
    private static String headNode;

    @BeforeAll
    static void connect() throws Exception {
        Map<String, String> environment = TestCluster.environment();
        slurm = JobControl.open("slurm", environment);
        headNode = environment.get("SLURM_NODES").split(" ")[0];
    }

    @Test
    void aJobWhoseRestartFailsIsRecordedFailedBySlurm() throws Exception {
        Path dir = TestCluster.jobDir("restart-fails");
        TestCluster.checkpointableScript(dir, 30, 0.3);
        String jobId = TestCluster.sbatch(dir, "-w", headNode, dir.resolve("job.sh").toString());
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            CheckpointRecord checkpoint = slurm.vacate(jobId, VacateMode.HOLD);
            TestCluster.waitUntil("job " + jobId + " to be held", 30, () -> heldOrFailed(jobId));
            try (FileChannel file = FileChannel.open(checkpoint.file(), StandardOpenOption.WRITE)) {
                file.truncate(100);   // a header and no more
            }
            slurm.restart(jobId);
            TestCluster.waitUntil("job " + jobId + " to end", 60, () -> ended(jobId));

            assertEquals("FAILED", TestCluster.slurmRecord(jobId, "JobState"), "Slurm's record");
            assertEquals("125:0", TestCluster.slurmRecord(jobId, "ExitCode"), "cr_run's status: the restart failed");
            assertEquals("1", TestCluster.slurmRecord(jobId, "Restarts"));
            List<String> progress = TestCluster.lines(dir.resolve("progress.txt"));
            assertEquals(1, progress.stream().filter(l -> l.startsWith("START ")).count(), "not rerun from the top: " + progress);
            assertTrue(TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("cannot restart job " + jobId)),
                    "cr_run says why: " + TestCluster.lines(dir.resolve("job.out")));
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    private static boolean heldOrFailed(String jobId) {
        try {
            return slurm.job(jobId).state() == JobState.HELD;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean ended(String jobId) {
        try {
            String state = TestCluster.slurmRecord(jobId, "JobState");
            return !state.equals("PENDING") && !state.equals("RUNNING") && !state.equals("COMPLETING")
                    && !state.equals("CONFIGURING");
        } catch (Exception | AssertionError e) {
            return false;
        }
    }
}
