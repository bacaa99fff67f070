package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cryo.api.Checkpointer;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 4, periodic checkpoints: 'cryo sbatch --checkpoint=4s --checkpoint-keep=2 SCRIPT' (the old
 * sbatch --checkpoint, with a seconds unit for the test).  The script's body (bash running python:
 * a process tree) runs under cr_run, whose Quartz scheduler checkpoints it every 4 s keeping the
 * last 2 context files; a requeue then restarts the whole script from the latest context.
 */
@ResourceLock(TestCluster.LOCK)
class PeriodicCheckpointTest {
    private static final int STEPS = 60;

    @Test
    void cryoSbatchCheckpointsPeriodicallyAndKeepsTheLastN() throws Exception {
        Path dir = TestCluster.jobDir("periodic");
        Path script = dir.resolve("work.sh");
        Files.writeString(script, "#!/bin/bash\n#SBATCH -J periodic\n"
                + "echo \"script starts, restart ${SLURM_RESTART_COUNT:-0}\"\n"
                + "/usr/bin/python3 " + TestCluster.JOB_PROGRAM + " progress.txt \"$1\" 0.3\n"
                + "echo \"script ends\"\n");
        String output = TestCluster.run(dir, TestCluster.onCluster(List.of(TestCluster.cryo(), "sbatch", "--checkpoint=4s",
                "--checkpoint-keep=2", "-o", dir.resolve("job.out").toString(), script.toString(), Integer.toString(STEPS))));
        String jobId = TestCluster.submittedJobId(output);
        // The administrator's vacate prunes with its own keep: the same as the job's, as a site would set it
        // (else the job's next periodic checkpoint prunes, if the job lives that long after its restart).
        java.util.Map<String, String> admin = new java.util.HashMap<>(TestCluster.environment());
        admin.put("CRYO_KEEP_CHECKPOINTS", "2");
        JobControl slurm = JobControl.open("slurm", admin);
        try {
            TestCluster.waitUntil("job " + jobId + " to run", 60, () -> TestCluster.stepsDone(dir.resolve("progress.txt")) > 0);
            JobDirectory catalog = slurm.directory(slurm.job(jobId));
            TestCluster.waitUntil("3 periodic checkpoints of job " + jobId, 40, () -> periodic(dir) >= 3);
            List<Path> kept = catalog.contexts();
            assertTrue(kept.size() >= 2, "kept: " + kept);
            assertKeepsTheLastTwoAndWhatTheyNeed(kept);
            assertTrue(kept.get(kept.size() - 1).getFileName().toString().compareTo("context.000003") >= 0, kept.toString());

            slurm.vacate(jobId, VacateMode.REQUEUE);
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 120);
            List<String> out = TestCluster.lines(dir.resolve("job.out"));
            assertEquals(1, out.stream().filter(l -> l.startsWith("script starts")).count(), "the script ran once: " + out);
            assertEquals(1, out.stream().filter(l -> l.startsWith("script ends")).count(), "and ended once: " + out);
            assertKeepsTheLastTwoAndWhatTheyNeed(catalog.contexts());
            System.out.printf("TIMING periodic: %d periodic checkpoints logged; %s%n", periodic(dir),
                    out.stream().filter(l -> l.contains("periodic checkpoint")).findFirst().orElse(""));
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    /**
     * --checkpoint-keep=2 keeps the two newest context files and, the periodic checkpoints being
     * incremental (a full one every CRYO_FULL_EVERY), the parents they are restarted with: nothing else.
     */
    private static void assertKeepsTheLastTwoAndWhatTheyNeed(List<Path> kept) throws Exception {
        java.util.Set<Path> needed = new java.util.HashSet<>();
        Checkpointer engine = Checkpointer.create();
        for (Path newest : kept.subList(Math.max(0, kept.size() - 2), kept.size())) {
            for (Path at = newest; at != null; ) {
                needed.add(at);
                Path dir = at.getParent();
                at = engine.chainLink(at).parentName().map(dir::resolve).orElse(null);
            }
        }
        assertEquals(new java.util.TreeSet<>(needed), new java.util.TreeSet<>(kept),
                "the two newest files and their parents, nothing more, nothing less");
    }

    private static long periodic(Path dir) {
        return TestCluster.lines(dir.resolve("job.out")).stream().filter(l -> l.contains(": periodic checkpoint of pid")).count();
    }
}
