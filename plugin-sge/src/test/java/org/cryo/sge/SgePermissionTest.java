package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Who may migrate a job: its owner (here a user who is not root: cr_run, the checkpoint and the
 * restart all run as that user, the restart in a user and PID namespace of its own) and a Grid
 * Engine operator, through Grid Engine ({@code qmod -sj}: migr_command runs as the owner);
 * anyone else is refused by Cryo, one line, the job untouched.  The job still finishes right,
 * each step once.  The job runs on the head host: the test cluster's way onto sgenode2
 * ({@code on-host.sh}, nsenter) is root's.
 */
@ResourceLock(SgeCluster.LOCK)
class SgePermissionTest {
    private static final String OWNER = "cryosge";
    private static final String OTHER = "nobody";
    private static final int STEPS = 30;
    private static final double SECONDS_PER_STEP = 0.25;

    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
        if (SgeCluster.execute(Path.of("/"), List.of("id", OWNER), Map.of()).status() != 0) {
            SgeCluster.run(Path.of("/"), List.of("useradd", "--no-create-home", "--shell", "/bin/bash", OWNER), Map.of(), 0);
        }
    }

    private static SgeCluster.Result as(String user, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "HOME=/tmp"));
        full.addAll(List.of(command));
        return SgeCluster.execute(Path.of("/"), full, Map.of());
    }

    @Test
    void theOwnerAndAnOperatorMayMigrateAJobAnyoneElseNot() throws Exception {
        Path dir = SgeCluster.jobDir("owner");
        SgeCluster.checkpointableScript(dir, STEPS, SECONDS_PER_STEP);
        SgeCluster.run(Path.of("/"), List.of("chown", "-R", OWNER + ":", dir.toString()), Map.of(), 0);
        SgeCluster.Result submitted = SgeCluster.execute(dir, List.of("runuser", "-u", OWNER, "--", "env", "HOME=/tmp",
                "qsub", "-terse", "-cwd", "-j", "y", "-o", dir.resolve("job.out").toString(), "-N", "cryotest",
                "-ckpt", SgeCluster.CKPT_ENV, "-r", "y", "-q", "all.q@" + SgeCluster.hosts().get(0),
                dir.resolve("job.sh").toString()), Map.of());
        String jobId = submitted.output().strip();
        assertTrue(jobId.matches("\\d+"), submitted.output());
        try {
            SgeCluster.awaitSteps(dir, jobId, 3);
            SgeCluster.holdWork(dir);   // each cryo command starts a JVM: on a loaded machine the work could end first
            SgeCluster.Result refused = as(OTHER, SgeCluster.cryo(), "sge", "checkpoint", "requeue", jobId);
            assertEquals(2, refused.status(), refused.output());
            assertTrue(refused.output().strip().startsWith("cryo sge checkpoint: permission denied: job " + jobId + " ")
                    && refused.output().contains(" belongs to " + OWNER + ";"), refused.output());
            assertEquals("r", SgeCluster.states(jobId), "untouched");

            SgeCluster.run(Path.of("/"), List.of("qconf", "-ao", OTHER), Map.of(), 0);
            try {
                SgeCluster.Result operator = as(OTHER, "qmod", "-sj", jobId);
                assertEquals(0, operator.status(), operator.output());
                assertTrue(operator.output().contains("suspended job " + jobId), operator.output());
            } finally {
                SgeCluster.run(Path.of("/"), List.of("qconf", "-do", OTHER), Map.of(), 0);
            }
            SgeCluster.waitUntil("job " + jobId + " to restart", 90, () -> SgeCluster.restarted(dir));
            int steps = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            SgeCluster.releaseWork(dir);
            SgeCluster.waitUntil("a step after the restart", 60, () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > steps);
            SgeCluster.holdWork(dir);

            SgeCluster.Result owner = as(OWNER, SgeCluster.cryo(), "sge", "checkpoint", "requeue", jobId);
            assertEquals(0, owner.status(), owner.output());
            assertTrue(owner.output().contains("context.000002"), owner.output());
            SgeCluster.waitUntil("job " + jobId + " to run a third time", 90, () -> SgeCluster.runs(dir).size() == 3);
            SgeCluster.releaseWork(dir);
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            assertEquals(OWNER, Files.getOwner(dir.resolve("progress.txt")).getName());
        } finally {
            SgeCluster.cleanUp(jobId);
        }
    }
}
