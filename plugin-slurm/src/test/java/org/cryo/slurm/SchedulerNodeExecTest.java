package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: a normal user's job submitted with a clean environment (no variable of Cryo's or
 * Slurm's REST) is checkpointable, and the checkpoint reaches its node the scheduler's way
 * ({@code node.exec = scheduler}: {@code srun --jobid=JOB --overlap}, a step of the job, no ssh
 * and no test-only node prefix), with the site's settings from one cryo.conf only: 'cryo slurm
 * checkpoint create', then 'requeue' (the held checkpoint talks to the engine through srun's
 * stdin), and the rerun carries on from the context and does every step once.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestCluster.LOCK)
class SchedulerNodeExecTest {
    private static final String USER = "cryotest";
    private static final int STEPS = 24;

    @Test
    void aCleanEnvironmentJobIsCheckpointedAndRequeuedThroughSrun() throws Exception {
        TestCluster.ensureUser(USER);
        Map<String, String> cluster = TestCluster.environment();
        String node2 = cluster.get("SLURM_NODES").split(" ")[1];
        Path dir = TestCluster.userJobDir(USER, "srun-exec");
        TestCluster.checkpointableScript(dir, STEPS, 0.3);
        Path config = siteConfig(TestCluster.jobDir("srun-conf"), cluster);

        List<String> sbatch = TestCluster.onCluster(List.of("runuser", "-u", USER, "--", "env", "-i", "PATH=/usr/bin:/bin",
                "HOME=/tmp", "sbatch", "--parsable", "--requeue", "--open-mode=append", "--export=NONE", "-w", node2,
                "-o", dir.resolve("job.out").toString(), dir.resolve("job.sh").toString()));
        String jobId = TestCluster.run(dir, sbatch, Map.of(), 0).strip();
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 90, () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            TestCluster.holdWork(dir);
            String created = cryoSlurm(config, "create", jobId);
            assertTrue(created.contains("job " + jobId + ": checkpointed pid ") && created.contains(" on " + node2 + " "), created);
            Path catalog = dir.resolve(".cryo").resolve(jobId);
            try (var files = Files.list(catalog)) {
                Path context = files.filter(f -> f.getFileName().toString().startsWith("context.")).findFirst().orElseThrow();
                assertEquals(USER, Files.getOwner(context).getName(), "written by the job's step, as the job's user");
            }
            assertEquals("RUNNING", TestCluster.slurmRecord(jobId, "JobState"));

            String requeued = cryoSlurm(config, "requeue", jobId);
            assertTrue(requeued.contains("job " + jobId + ": "), requeued);
            TestCluster.releaseWork(dir);
            TestCluster.waitUntil("job " + jobId + " to restart", 90,
                    () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 120);
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    /**
     * The site's one file, in a directory of root's: where slurmrestd is and a token file;
     * node.exec left at its default.
     */
    private static Path siteConfig(Path dir, Map<String, String> cluster) throws Exception {
        List<String> lines = new ArrayList<>(List.of("# the site's settings (issue 14)",
                "slurm.rest.url = " + cluster.get("SLURM_REST_URL"), "slurm.rest.user = root",
                "slurm.rest.token.file = " + dir.resolve("token")));
        Files.writeString(dir.resolve("token"), cluster.get("SLURM_REST_TOKEN") + "\n");
        Files.setPosixFilePermissions(dir.resolve("token"), PosixFilePermissions.fromString("rw-------"));
        Path file = dir.resolve("cryo.conf");
        Files.writeString(file, String.join("\n", lines) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** 'cryo slurm checkpoint OP JOB' as root with nothing but CRYO_CONFIG naming the site's file. */
    private static String cryoSlurm(Path config, String op, String jobId) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("CRYO_CONFIG", config.toString(), "HOME", "/nonexistent"));
        List<String> command = TestCluster.onCluster(List.of("env", "-u", "CRYO_NODE_EXEC", "-u", "SLURM_REST_URL", "-u", "SLURM_REST_TOKEN",
                "-u", "SLURM_REST_USER_NAME", "-u",
                "CRYO_SCONTROL", "-u", "CRYO_CHECKPOINT_DIR", "-u", "XDG_CONFIG_HOME", TestCluster.cryo(), "slurm",
                "checkpoint", op, jobId));
        String output = TestCluster.run(Path.of("/"), command, env, 0);
        System.out.println("cryo slurm checkpoint " + op + " " + jobId + ": " + output.strip());
        return output;
    }
}
