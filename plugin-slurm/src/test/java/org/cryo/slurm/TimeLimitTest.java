package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, time limits: a job with a 1-minute limit and 150 s of work (150 steps of 1 s) gets
 * SIGUSR1 before each limit (--signal=B:USR1@10), checkpoints and requeues itself (cryo-slurm.sh's
 * trap runs 'cryo slurm checkpoint requeue'), and finishes over several allocations with every
 * step done once.  Runs alongside the other Slurm test classes (it holds no resource lock): its job
 * takes one CPU for about four minutes.
 */
class TimeLimitTest {
    private static final int STEPS = 150;

    @Test
    void jobLongerThanItsTimeLimitFinishesOverSeveralAllocations() throws Exception {
        Path dir = TestCluster.jobDir("timelimit");
        TestCluster.requeueableScript(dir, STEPS, 1.0);
        long submitted = System.currentTimeMillis();
        String jobId = TestCluster.sbatch(dir, "--time=1", "--signal=B:USR1@10", dir.resolve("job.sh").toString());
        try {
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 420);
        } finally {
            TestCluster.scancel(jobId);
        }
        double total = (System.currentTimeMillis() - submitted) / 1000.0;
        List<String> out = TestCluster.lines(dir.resolve("job.out"));
        long runs = out.stream().filter(l -> l.startsWith("run ")).count();
        assertTrue(runs >= 3, "at least 3 allocations for 150 s of work under a 60 s limit: " + out);
        assertEquals(runs - 1, out.stream().filter(l -> l.contains("restarting from")).count(), String.join("\n", out));
        assertTrue(out.stream().noneMatch(l -> l.contains("DUE TO TIME LIMIT")), "no run was killed at its limit: " + out);
        System.out.printf("TIMING time limit: %d allocations, 150 s of work done in %.1f s; signal->resumed: %s%n",
                runs, total, gaps(out));
    }

    /** Seconds from each "SIGUSR1 at T" to the next "run N ... at T". */
    static List<String> gaps(List<String> out) {
        List<String> gaps = new ArrayList<>();
        double signal = -1;
        for (String line : out) {
            if (line.startsWith("cryo: SIGUSR1 at ")) {
                signal = Double.parseDouble(line.substring("cryo: SIGUSR1 at ".length()).split(":")[0]);
            } else if (line.startsWith("run ") && signal > 0) {
                double start = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                gaps.add(String.format("%.1f s", start - signal));
                signal = -1;
            }
        }
        return gaps;
    }
}
