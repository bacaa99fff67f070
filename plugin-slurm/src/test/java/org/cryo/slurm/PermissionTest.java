package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 4, permissions: another, unprivileged user (cryotest2, created if missing) may not
 * checkpoint, requeue, vacate or restart root's job, nor migrate its node: one line each, exit
 * status 2, and the job untouched (still running, not requeued, no context file).  This cluster
 * has no accounting, so only root and SlurmUser are privileged besides the owner.
 */
@ResourceLock(TestCluster.LOCK)
class PermissionTest {
    private static final String OTHER = "cryotest2";
    private static final int STEPS = 100;

    @BeforeAll
    static void otherUser() throws Exception {
        TestCluster.ensureUser(OTHER);
    }

    @Test
    void anotherUserIsRefusedAndTheJobIsUntouched() throws Exception {
        Map<String, String> env = TestCluster.environment();
        JobControl slurm = JobControl.open("slurm", env);
        Path dir = TestCluster.jobDir("permission");
        // enough work (30 s) that the job still runs after five JVM starts on a loaded machine
        TestCluster.checkpointableScript(dir, STEPS, 0.3);
        String jobId = TestCluster.sbatch(dir, dir.resolve("job.sh").toString());
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            // five JVM starts as the other user take longer than the work on a loaded machine (24.11's
            // clients add a namespace entry each): the work waits, running, until they are done
            TestCluster.holdWork(dir);
            String node = slurm.job(jobId).nodes().get(0);
            for (List<String> args : List.of(List.of("checkpoint", "create", jobId), List.of("checkpoint", "requeue", jobId),
                    List.of("checkpoint", "vacate", jobId), List.of("checkpoint", "disable", jobId),
                    List.of("migrate", "--node", node))) {
                List<String> command = new java.util.ArrayList<>(List.of("runuser", "-u", OTHER, "--", TestCluster.cryo(), "slurm"));
                command.addAll(args);
                // As the other user: its own token (scontrol token), slurmrestd on this host.
                TestCluster.Result result = TestCluster.execute(Path.of("/"), TestCluster.onCluster(command),
                        Map.of("SLURM_REST_URL", env.get("SLURM_REST_URL"), "CRYO_NODE_EXEC", env.get("CRYO_NODE_EXEC")));
                String output = result.output().strip();
                assertEquals(2, result.status(), args + ": " + output);
                assertEquals(1, output.lines().count(), "one line: " + output);
                assertTrue(output.contains("permission denied") && output.contains("not " + OTHER), output);
                System.out.println("refused as " + OTHER + ": cryo slurm " + String.join(" ", args) + " -> " + output);
            }
            assertEquals(JobState.RUNNING, slurm.job(jobId).state());
            assertEquals(Integer.toString(0), slurm.job(jobId).run());
            assertTrue(slurm.directory(slurm.job(jobId)).contexts().isEmpty(), "no context file");
            assertTrue(!slurm.directory(slurm.job(jobId)).isDisabled(), "not disabled");
            TestCluster.releaseWork(dir);
            int steps = TestCluster.stepsDone(dir.resolve("progress.txt"));
            TestCluster.waitUntil("job " + jobId + " to go on working", 20,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) > steps);
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 90);
        } finally {
            TestCluster.scancel(jobId);
        }
    }
}
