package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16: an Open MPI job whose session directory is on a node-local file system (here tmpfs,
 * /dev/shm) cannot restart on another node: its processes hold the FIFO, PMIx's socket and
 * stores there by name.  A checkpoint for a requeue or migration (--leaving-node: the end of
 * the run on this node) refuses it in one line naming the variable, the path and the file
 * system, before anything is frozen: the job runs on to its end.  A checkpoint that stays on
 * the node is taken as before.  (A session directory on the context file's own file system moves
 * with it: SlurmMpiJobTest, where cr_run puts it in the job's catalog.)
 */
class NodeLocalSessionTest {
    private static final Path SHM = Path.of("/dev/shm");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSessionDirectoryOnTmpfsIsRefusedForAMoveAndTheJobRunsOn() throws Exception {
        Path program = MpiJobsTest.mpiProgram("mpi_ring.openmpi", "/usr/bin/mpirun.openmpi",
                "Open MPI (openmpi-bin, libopenmpi-dev)");
        Assumptions.assumeTrue(Files.getFileStore(SHM).type().equals("tmpfs"), "/dev/shm is not a tmpfs here");
        Path session = Files.createTempDirectory(SHM, "cryo-nodelocal-");
        Path dir = CheckpointHarness.newWorkDir("nodelocal");
        Map<String, String> env = new HashMap<>(Map.of("OMPI_ALLOW_RUN_AS_ROOT", "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1",
                "OMPI_MCA_rmaps_base_oversubscribe", "1", "OMPI_MCA_orte_tmpdir_base", session.toString()));
        try (var job = MpiJobsTest.startJob(dir, List.of("/usr/bin/mpirun.openmpi", "-np", "2", program.toString(), "12",
                "100"), env)) {
            job.out().await(l -> l.startsWith("STEP 2 "), Duration.ofSeconds(60));
            Checkpointer engine = Checkpointer.create();
            CheckpointException refused = assertThrows(CheckpointException.class, () -> engine.checkpoint(job.pid(),
                    CheckpointOptions.builder().file(dir.resolve("moved.cryo")).endAction(EndAction.KILL).leavingNode(true)
                            .build()));
            String message = refused.getMessage();
            assertTrue(message.contains("Open MPI's session directory (OMPI_MCA_orte_tmpdir_base=" + session + ") on tmpfs,"
                    + " which is node-local") && !message.contains("\n"), message);
            assertTrue(Files.notExists(dir.resolve("moved.cryo")), "no context file");
            // the same job, checkpointed for a restart on this node, is not refused
            engine.checkpoint(job.pid(), CheckpointOptions.builder().file(dir.resolve("here.cryo")).build());
            assertTrue(Files.size(dir.resolve("here.cryo")) > 0);
            job.out().await(l -> l.startsWith("RESULT "), Duration.ofSeconds(60));
            assertEquals(12, job.out().lines().stream().filter(l -> l.startsWith("STEP ")).count(),
                    "the job ran on to its end: " + job.out().lines());
        } finally {
            CheckpointHarness.deleteTree(dir);
            CheckpointHarness.deleteTree(session);
        }
    }
}
