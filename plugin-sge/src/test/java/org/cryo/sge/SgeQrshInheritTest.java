package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: node.exec = scheduler on Grid Engine.  A job in a parallel environment that controls
 * its slaves (sge-up.sh's cryo_tasks) on the other host (sgenode2, its own namespaces) is
 * checkpointed from this host through {@code qrsh -inherit}: a task of the job, started by its
 * execd, no ssh and no test-only host prefix (CRYO_NODE_EXEC unset); the site's file only names
 * nothing but node.exec's default.  The job then finishes with every step once.
 */
@org.junit.jupiter.api.parallel.ResourceLock(SgeCluster.LOCK)
class SgeQrshInheritTest {
    private static final int STEPS = 16;

    @Test
    void aJobWhosePeControlsItsSlavesIsCheckpointedThroughQrshInherit() throws Exception {
        Path dir = SgeCluster.jobDir("qrsh-inherit");
        Path config = dir.resolve("cryo.conf");
        Files.writeString(config, "# node.exec = scheduler is the default\ncatalog.keep = 2\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        SgeCluster.checkpointableScript(dir, STEPS, 0.3);
        // no checkpointing environment: an outbound checkpoint needs none
        String jobId = SgeCluster.qsub(dir, "-pe", "cryo_tasks", "1", "-l", "h=sgenode2");
        SgeCluster.awaitSteps(dir, jobId, 3);
        SgeCluster.holdWork(dir);
        try {
            List<String> command = List.of("env", "-u", "CRYO_NODE_EXEC", "-u", "CRYO_SGE_NODE_EXEC", SgeCluster.cryo(), "sge",
                    "checkpoint", "create", jobId);
            SgeCluster.Result create = SgeCluster.execute(Path.of("/"), command, Map.of("CRYO_CONFIG", config.toString(),
                    "CRYO_NODE_EXEC", "", "CRYO_SGE_NODE_EXEC", ""));
            System.out.println("cryo sge checkpoint create " + jobId + ": " + create.output().strip());
            assertEquals(0, create.status(), create.output());
            assertTrue(create.output().contains("job " + jobId + ": checkpointed pid ") && create.output().contains(" on sgenode2 "),
                    create.output());
            SgeCluster.releaseWork(dir);
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
        } finally {
            SgeCluster.releaseWork(dir);
            SgeCluster.cleanUp(jobId);
        }
    }
}
