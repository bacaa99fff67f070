package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.Migration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 16 through Slurm: an Open MPI job of 4 ranks on one node of the test cluster ({@code
 * sbatch --ntasks=4}; mpirun under cr_run, its ranks its children: native/tests/mpi/mpi_ring.c),
 * migrated mid-run to the other node ({@code cryo slurm migrate --node}'s workflow).  Open MPI's
 * session directory, node-local {@code /tmp/ompi.HOST.UID} by default, is where cr_run put it: in
 * the job's catalog on shared storage, so the restored launcher and ranks find their FIFO and
 * PMIx stores on the other node.  The ring's lines before and after come out once each and are
 * the uninterrupted run's (the program prints the step's reduction, the same for every run).
 * The 24.11 cluster's root (the Debian 13 tree) has no Open MPI: there the test says so and is skipped.
 */
@ResourceLock(TestCluster.LOCK)
class SlurmMpiJobTest {
    private static final int STEPS = 30;
    private static final Path MPIRUN = Path.of("/usr/bin/mpirun.openmpi");

    @Test
    void anOpenMpiJobOfFourRanksMigratesToTheOtherNodeAndContinues() throws Exception {
        Path ring = TestCluster.HOME.resolve("native/target/test-programs/mpi_ring.openmpi");
        Assumptions.assumeTrue(Files.isExecutable(ring) && Files.isExecutable(MPIRUN),
                "Open MPI is not installed (openmpi-bin, libopenmpi-dev; scripts/test-all.sh installs them)");
        Assumptions.assumeTrue(TestCluster.onCluster(List.of()).isEmpty(), "the Slurm " + TestCluster.release()
                + " cluster's jobs run in a tree without Open MPI");
        Map<String, String> environment = TestCluster.environment();
        String[] nodes = environment.get("SLURM_NODES").split(" ");
        JobControl slurm = JobControl.open("slurm", environment);
        Path dir = TestCluster.jobDir("mpi-migrate");
        Path out = dir.resolve("ring.txt");
        // ORTE's control connections on loopback only: the other node has none of this one's addresses
        String openMpi = "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
                + " OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl=self,vader\n";
        List<String> reference = TestCluster.run(dir, List.of("bash", "-c", openMpi + MPIRUN + " -np 4 " + ring + " "
                + STEPS + " 0")).lines().toList();
        assertEquals(STEPS + 2, reference.size(), "the uninterrupted run: " + reference);
        Files.writeString(dir.resolve("job.sh"), "#!/bin/bash\n" + openMpi + TestCluster.HOME.resolve("bin/cr_run") + " "
                + MPIRUN + " -np 4 " + ring + " " + STEPS + " 300 >> " + out + "\n");
        // placed on the first node by draining the other meanwhile: no -w, which would bind the requeued job to it
        TestCluster.scontrol("update", "NodeName=" + nodes[1], "State=DRAIN", "Reason=cryo test: placing");
        String jobId;
        try {
            jobId = TestCluster.sbatch(dir, "--ntasks=4", "--overcommit", dir.resolve("job.sh").toString());
            TestCluster.waitUntil("job " + jobId + " to start on " + nodes[0], 60, () -> running(jobId));
        } finally {
            TestCluster.scontrol("update", "NodeName=" + nodes[1], "State=RESUME");
        }
        try {
            TestCluster.waitUntil("job " + jobId + " to do 5 steps", 120,
                    () -> TestCluster.lines(out).stream().anyMatch(l -> l.startsWith("STEP 5 ")));
            Path session = dir.resolve(".cryo").resolve(jobId).resolve("mpi-session");
            try (var entries = Files.list(session)) {
                assertTrue(entries.anyMatch(p -> p.getFileName().toString().startsWith("ompi.")),
                        "Open MPI's session directory is in the catalog: " + session);
            }
            List<Migration.Outcome> outcomes = Migration.migrate(slurm, nodes[0], "cryo test: MPI job");
            assertTrue(outcomes.stream().anyMatch(o -> o.jobId().equals(jobId) && o.checkpoint() != null), outcomes.toString());
            long moved = System.nanoTime();
            TestCluster.waitUntil("job " + jobId + " to finish on " + nodes[1], 180,
                    () -> TestCluster.lines(out).stream().anyMatch(l -> l.startsWith("RESULT ")));
            System.out.printf("TIMING mpi migrate: 4 ranks + mpirun checkpointed in %d ms; finished on %s %.1f s later%n",
                    outcomes.get(0).checkpoint().millis(), nodes[1], (System.nanoTime() - moved) / 1e9);
            List<String> lines = TestCluster.lines(out).stream().filter(l -> !l.startsWith("READY ")).toList();
            assertEquals(String.join("\n", reference), String.join("\n", lines), "each line once, as uninterrupted");
            assertEquals(nodes[1], TestCluster.slurmRecord(jobId, "NodeList"), "the job ends on the other node");
            assertTrue(TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
        } finally {
            slurm.adapter().resume(nodes[0]);
            TestCluster.scancel(jobId);
        }
    }

    private static boolean running(String jobId) {
        try {
            return TestCluster.slurmRecord(jobId, "JobState").equals("RUNNING");
        } catch (Exception | AssertionError e) {
            return false;
        }
    }
}
