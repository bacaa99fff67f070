package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 4, preemption: PreemptType=preempt/partition_prio, PreemptMode=REQUEUE, GraceTime=30 on
 * partition debug and the user signal at preemption (22.05: SlurmctldParameters=preempt_send_user_signal,
 * scripts/slurm/slurm-up.sh; 23.02+: PreemptParameters=send_user_signal, scripts/trixie/slurm24-up.sh).  A low-priority
 * checkpointable job (debug, 1 CPU, --signal=B:USR1) runs on the head node; a high-priority job
 * (partition high) asks for all of that node's CPUs.  Slurm sends the low job USR1 at preemption,
 * its trap checkpoints and requeues it, the high job runs, and the low job resumes from its
 * context: both results right, every step of the low job done once.
 */
@ResourceLock(TestCluster.LOCK)
class PreemptionTest {
    private static final int STEPS = 40;

    @Test
    void preemptedJobCheckpointsWithinItsGraceTimeAndResumes() throws Exception {
        Map<String, String> env = TestCluster.environment();
        String node = env.get("SLURM_NODES").split(" ")[0];
        int cpus = Integer.parseInt(TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("sinfo", "-h", "-n", node, "-o", "%c"))).strip());
        JobControl slurm = JobControl.open("slurm", env);

        Path low = TestCluster.jobDir("preempted");
        TestCluster.requeueableScript(low, STEPS, 0.3);
        String lowId = TestCluster.sbatch(low, "-p", "debug", "-w", node, "-c", "1", "--signal=B:USR1@5",
                low.resolve("job.sh").toString());
        Path high = TestCluster.jobDir("preemptor");
        String highId = null;
        try {
            TestCluster.waitUntil("job " + lowId + " to do 5 steps", 60,
                    () -> TestCluster.stepsDone(low.resolve("progress.txt")) >= 5);
            long preempt = System.nanoTime();
            highId = TestCluster.sbatch(high, "-p", "high", "-w", node, "-c", Integer.toString(cpus), "--wrap",
                    "/usr/bin/python3 " + TestCluster.JOB_PROGRAM + " progress.txt 10 0.3");
            String h = highId;
            TestCluster.waitUntil("job " + highId + " to start", 60,
                    () -> !TestCluster.lines(high.resolve("progress.txt")).isEmpty());
            double highStarted = (System.nanoTime() - preempt) / 1e9;
            int stepsAtPreemption = TestCluster.stepsDone(low.resolve("progress.txt"));
            assertTrue(stepsAtPreemption < STEPS, "the low job was still working when preempted");

            TestCluster.assertFinishedCorrectlyOnce(high, highId, 10, 60);
            double highDone = (System.nanoTime() - preempt) / 1e9;
            TestCluster.waitUntil("job " + lowId + " to restart", 60,
                    () -> TestCluster.lines(low.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
            double lowResumed = (System.nanoTime() - preempt) / 1e9;
            TestCluster.assertFinishedCorrectlyOnce(low, lowId, STEPS, 90);

            List<String> out = TestCluster.lines(low.resolve("job.out"));
            assertTrue(out.stream().anyMatch(l -> l.startsWith("cryo: SIGUSR1 at ")), "USR1 at preemption: " + out);
            // The trap's checkpoint+requeue came within GraceTime: Slurm did not have to kill the job
            // at the end of it (that would read "DUE TO PREEMPTION").  The trap's 'cryo' dies with the
            // run it requeued, so its own last words never reach job.out.
            assertTrue(out.stream().anyMatch(l -> l.contains("DUE TO JOB REQUEUE")), String.join("\n", out));
            assertTrue(out.stream().noneMatch(l -> l.contains("DUE TO PREEMPTION")), String.join("\n", out));
            TestCluster.waitUntil("job " + lowId + " to end", 60, () -> stateOf(slurm, lowId) == JobState.FINISHED);
            // 22.05 ran it twice (the preempted run, the resumed one).  23.02+ keep the preemption's grace
            // flag across the requeue and requeue the resumed run once more when it ends within GraceTime:
            // that third run must find the work finished and do nothing (cr_run's finished marker).
            int runs = Integer.parseInt(slurm.job(lowId).run()) + 1;
            List<String> ended = TestCluster.lines(low.resolve("job.out"));
            long notRunAgain = ended.stream().filter(l -> l.contains("an earlier run finished the work")).count();
            assertTrue(runs == 2 || (runs == 3 && notRunAgain == 1 && !TestCluster.release().startsWith("22.")),
                    "runs " + runs + " on " + TestCluster.release() + ": " + String.join("\n", ended));
            assertEquals(Integer.toString(0), slurm.job(h).run());
            System.out.printf("TIMING preemption: high job submitted -> running %.1f s, -> done %.1f s,"
                    + " low job resumed from its context %.1f s after the preemption (%.1f s after the high job ended);"
                    + " signal->resumed %s%n", highStarted, highDone, lowResumed, lowResumed - highDone,
                    TimeLimitTest.gaps(out));
        } finally {
            TestCluster.scancel(lowId);
            if (highId != null) {
                TestCluster.scancel(highId);
            }
        }
    }

    static JobState stateOf(JobControl slurm, String jobId) {
        try {
            return slurm.job(jobId).state();
        } catch (Exception e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
