package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 4, the scontrol wrapper (plugin-slurm/bin/scontrol ahead of /usr/bin/scontrol in PATH):
 * every 'scontrol checkpoint' operation of Slurm 19.05 on one real job, and other subcommands
 * passed through untouched (output and exit status).
 */
@ResourceLock(TestCluster.LOCK)
class ScontrolWrapperTest {
    // enough work (60 s) that the job still runs after a dozen JVM starts on a loaded machine
    private static final int STEPS = 200;
    private static final Path WRAPPER = TestCluster.HOME.resolve("plugin-slurm/bin/scontrol");
    private static Map<String, String> env;
    private static JobControl slurm;

    @BeforeAll
    static void connect() throws Exception {
        env = new HashMap<>(TestCluster.jobEnvironment());
        env.put("SLURM_REST_URL", TestCluster.environment().get("SLURM_REST_URL"));
        env.put("PATH", WRAPPER.getParent() + ":" + System.getenv("PATH"));
        slurm = JobControl.open("slurm", TestCluster.environment());
    }

    /** Runs "scontrol ARGS" as a site's users would: the wrapper is first in PATH. */
    private static TestCluster.Result scontrol(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("scontrol"));
        command.addAll(List.of(args));
        // ProcessBuilder looks the program up in this JVM's PATH: name the wrapper, as the shell would find it.
        command.set(0, WRAPPER.toString());
        return TestCluster.execute(Path.of("/"), TestCluster.onCluster(command), env);
    }

    @Test
    void otherSubcommandsPassThroughUntouched() throws Exception {
        Path dir = TestCluster.jobDir("passthrough");
        String jobId = TestCluster.sbatch(dir, "--hold", "--wrap", "true");   // pending, held: its record is stable
        try {
            for (List<String> args : List.of(List.of("show", "job", jobId), List.of("-o", "show", "job", jobId),
                    List.of("show", "job", "999999"), List.of("show", "partition", "debug"), List.of("bogus"))) {
                TestCluster.Result viaWrapper = scontrol(args.toArray(String[]::new));
                List<String> real = new java.util.ArrayList<>(List.of("/usr/bin/scontrol"));
                real.addAll(args);
                TestCluster.Result direct = TestCluster.execute(Path.of("/"), TestCluster.onCluster(real), env);
                assertEquals(direct, viaWrapper, "scontrol " + args);
            }
            assertTrue(scontrol("show", "job", jobId).output().contains("JobId=" + jobId));
            assertEquals(1, scontrol("show", "job", "999999").status());
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    @Test
    void everyCheckpointOperation() throws Exception {
        Path dir = TestCluster.jobDir("wrapper");
        TestCluster.checkpointableScript(dir, STEPS, 0.3);
        String jobId = TestCluster.sbatch(dir, dir.resolve("job.sh").toString());
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            // fifteen JVM starts take longer than the job's work on a loaded machine: the work waits,
            // running, until every operation is done (else the job may finish before the vacate)
            TestCluster.holdWork(dir);
            JobDirectory catalog = slurm.directory(slurm.job(jobId));

            TestCluster.Result able = scontrol("checkpoint", "able", jobId);
            assertEquals(0, able.status(), able.output());
            assertTrue(able.output().startsWith("Yes"), able.output());

            TestCluster.Result create = scontrol("checkpoint", "create", jobId, "MaxWait=30", "StickToNodes");
            assertEquals(0, create.status(), create.output());
            assertEquals(1, catalog.contexts().size());
            assertEquals(JobState.RUNNING, slurm.job(jobId).state());

            assertEquals(0, scontrol("checkpoint", "disable", jobId).status());
            assertEquals("Disabled", scontrol("checkpoint", "able", jobId).output().strip());
            TestCluster.Result refused = scontrol("checkpoint", "create", jobId);
            assertEquals(2, refused.status(), refused.output());
            assertTrue(refused.output().contains("checkpoints are disabled"), refused.output());
            TestCluster.Result refusedVacate = scontrol("checkpoint", "vacate", jobId);
            assertEquals(2, refusedVacate.status(), refusedVacate.output());
            assertEquals(1, catalog.contexts().size(), "no checkpoint while disabled");
            TestCluster.Result error = scontrol("checkpoint", "error", jobId);
            assertEquals(0, error.status());
            assertTrue(error.output().startsWith("error(1): ") && error.output().contains("disabled"), error.output());
            assertEquals(JobState.RUNNING, slurm.job(jobId).state());

            assertEquals(0, scontrol("checkpoint", "enable", jobId).status());
            TestCluster.Result requeue = scontrol("checkpoint", "requeue", jobId);
            assertEquals(0, requeue.status(), requeue.output());
            TestCluster.waitUntil("job " + jobId + " to restart", 60, () -> TestCluster.lines(dir.resolve("job.out"))
                    .stream().filter(l -> l.contains("restarting from")).count() == 1);
            TestCluster.waitUntil("job " + jobId + " to record its restored process", 30, () -> able(jobId));

            TestCluster.Result vacate = scontrol("checkpoint", "vacate", jobId);
            assertEquals(0, vacate.status(), vacate.output());
            TestCluster.waitUntil("job " + jobId + " to be held", 30,
                    () -> PreemptionTest.stateOf(slurm, jobId) == JobState.HELD);
            TestCluster.Result restart = scontrol("checkpoint", "restart", jobId, "ImageDir=" + catalog.path().getParent());
            assertEquals(0, restart.status(), restart.output());

            TestCluster.releaseWork(dir);
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 150);
            assertEquals(Integer.toString(2), slurm.job(jobId).run());
            assertTrue(Files.exists(catalog.errorFile()));
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    private static boolean able(String jobId) {
        try {
            return scontrol("checkpoint", "able", jobId).output().startsWith("Yes");
        } catch (Exception e) {
            return false;
        }
    }
}
