package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 12's figures, on whichever cluster the run is on: one checkpointable job requeued by the
 * administrator ({@code cryo slurm checkpoint requeue}'s workflow) CYCLES times, each
 * cycle measured as checkpoint (the engine's time), requeued (the vacate returned: checkpoint +
 * scontrol requeue + StartTime=now once the old run ended) and resumed (cr_run's "restarting
 * from" of the next run, and the restored tree recorded in the catalog: checkpointable again),
 * printed per cycle and as medians.  The work is held at its gate
 * meanwhile, so a slow machine cannot let it finish early; it then finishes with the known result,
 * each step once.  No timing is asserted.  A measurement, not a check the suite needs (each cycle
 * costs 10-15 s of a loaded cluster): it runs only with {@code -Dcryo.slurm.timing=true}, as
 * scripts/slurm/requeue-times.sh runs it on each cluster ({@code -Dcryo.slurm.cycles=N}, default 3).
 */
@ResourceLock(TestCluster.LOCK)
@EnabledIfSystemProperty(named = "cryo.slurm.timing", matches = "true")
class RequeueTimesTest {
    private static final int CYCLES = Integer.getInteger("cryo.slurm.cycles", 3);
    private static final int STEPS = 12;

    @Test
    void checkpointRequeueResumeCyclesArePrintedWithTheirMedians() throws Exception {
        JobControl slurm = JobControl.open("slurm", TestCluster.environment());
        Path dir = TestCluster.jobDir("requeue-times");
        TestCluster.checkpointableScript(dir, STEPS, 0.2);
        TestCluster.holdWork(dir);
        String jobId = TestCluster.sbatch(dir, dir.resolve("job.sh").toString());
        try {
            Path progress = dir.resolve("progress.txt");
            TestCluster.waitUntil("job " + jobId + " to start its work", 60, () -> TestCluster.lines(progress).stream()
                    .anyMatch(l -> l.startsWith("START ")));
            List<Long> checkpoints = new ArrayList<>();
            List<Long> requeued = new ArrayList<>();
            List<Long> resumed = new ArrayList<>();
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                int restarts = restarts(dir);
                long start = System.nanoTime();
                CheckpointRecord record = slurm.vacate(jobId, VacateMode.REQUEUE);
                long back = System.nanoTime();
                int before = restarts;
                TestCluster.waitUntil("run " + cycle + " of job " + jobId + " to restart from its context", 120,
                        () -> restarts(dir) > before && restored(slurm, jobId));
                long running = System.nanoTime();
                checkpoints.add(record.millis());
                requeued.add((back - start) / 1_000_000);
                resumed.add((running - back) / 1_000_000);
                System.out.printf("TIMING requeue cycle %d on Slurm %s: checkpoint %d ms, checkpoint+requeue %d ms,"
                        + " requeue->resumed %d ms, on %s%n", cycle, TestCluster.release(), record.millis(),
                        (back - start) / 1_000_000, (running - back) / 1_000_000, TestCluster.slurmRecord(jobId, "NodeList"));
            }
            System.out.printf("TIMING requeue medians on Slurm %s (%d cycles): checkpoint %d ms, checkpoint+requeue %d ms,"
                    + " requeue->resumed %d ms, checkpoint->resumed %d ms%n", TestCluster.release(), CYCLES,
                    median(checkpoints), median(requeued), median(resumed), median(sums(requeued, resumed)));
            TestCluster.releaseWork(dir);
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 120);
            assertEquals(Integer.toString(CYCLES), slurm.job(jobId).run(), "one run per requeue, and the first");
        } finally {
            TestCluster.releaseWork(dir);
            TestCluster.scancel(jobId);
        }
    }

    /** The catalog records the restored tree for this run: checkpointable again (what the next cycle needs). */
    private static boolean restored(JobControl slurm, String jobId) {
        try {
            return !slurm.processes(jobId).isEmpty();
        } catch (org.cryo.scheduler.SchedulerException e) {
            return false;
        }
    }

    private static int restarts(Path dir) {
        return (int) TestCluster.lines(dir.resolve("job.out")).stream().filter(l -> l.contains("restarting from")).count();
    }

    private static List<Long> sums(List<Long> a, List<Long> b) {
        List<Long> sums = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            sums.add(a.get(i) + b.get(i));
        }
        return sums;
    }

    static long median(List<Long> values) {
        assertTrue(!values.isEmpty());
        List<Long> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
