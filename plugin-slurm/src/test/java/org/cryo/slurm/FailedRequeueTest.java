package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.Checkpointer;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.Test;

/**
 * "Never harm the job": a vacate whose requeue slurmctld refuses (the job's requeue flag turned
 * off between Cryo's checks and the requeue, {@code scontrol update requeue=0}: a real refusal,
 * "Requested operation is presently disabled") leaves the job's process running on where it
 * was, its work neither lost nor redone, the error recorded; a later vacate then succeeds and
 * the job finishes once with the right result.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestCluster.LOCK)
class FailedRequeueTest {
    /** Enough steps (0.3 s each) that the job still runs for the second vacate on a loaded machine. */
    private static final int STEPS = 80;

    @Test
    void aRefusedRequeueLeavesTheJobRunningAndALaterVacateSucceeds() throws Exception {
        Map<String, String> environment = TestCluster.environment();
        JobControl slurm = JobControl.open("slurm", environment);
        SlurmAdapter adapter = (SlurmAdapter) slurm.adapter();
        JobControl refusing = new JobControl(new RequeueDisabledFirst(adapter), environment,
                Checkpointer.create(TestCluster.HOME), NodeExecutor.configured(environment),
                System.getProperty("user.name"));
        Path dir = TestCluster.jobDir("failedrequeue");
        TestCluster.checkpointableScript(dir, STEPS, 0.3);
        String jobId = TestCluster.sbatch(dir, dir.resolve("job.sh").toString());
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            long pid = slurm.processes(jobId).get(0).pid();

            SchedulerException e = assertThrows(SchedulerException.class, () -> refusing.vacate(jobId, VacateMode.REQUEUE));
            assertTrue(e.getMessage().contains("but not requeued") && e.getMessage().endsWith("its processes run on"),
                    e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            assertEquals(e.getMessage(), slurm.lastError(jobId).orElseThrow().message(), "'checkpoint error' tells");
            assertEquals(JobState.RUNNING, slurm.job(jobId).state());
            assertEquals(pid, slurm.processes(jobId).get(0).pid(), "the same process, not a restart");
            char state = stateOf(pid);
            assertTrue(state == 'S' || state == 'R', "the job's process runs on, not stopped: " + state);
            int steps = TestCluster.stepsDone(dir.resolve("progress.txt"));
            TestCluster.waitUntil("job " + jobId + " to go on working", 30,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= steps + 2);

            TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("scontrol", "update", "jobid=" + jobId, "requeue=1")));
            slurm.vacate(jobId, VacateMode.REQUEUE);
            TestCluster.waitUntil("job " + jobId + " to restart", 60, () -> TestCluster.lines(dir.resolve("job.out"))
                    .stream().anyMatch(l -> l.contains("restarting from")));
            TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 180);
            assertEquals("1", slurm.job(jobId).run(), "requeued once, by the second vacate");
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    /** /proc/PID/stat's state letter (after the name, which may hold spaces). */
    private static char stateOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    /** Slurm's adapter, except that the job's requeue flag is turned off just before the requeue. */
    private static final class RequeueDisabledFirst implements SchedulerAdapter {
        private final SlurmAdapter slurm;

        RequeueDisabledFirst(SlurmAdapter slurm) {
            this.slurm = slurm;
        }

        @Override
        public void requeue(JobStatus job, VacateMode mode) throws SchedulerException {
            try {
                TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("scontrol", "update", "jobid=" + job.jobId(), "requeue=0")));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            slurm.requeue(job, mode);
        }

        @Override
        public void settleRequeued(JobStatus job, VacateMode mode) throws SchedulerException {
            slurm.settleRequeued(job, mode);
        }

        @Override
        public String scheduler() {
            return slurm.scheduler();
        }

        @Override
        public String apiVersion() {
            return slurm.apiVersion();
        }

        @Override
        public JobStatus job(String jobId) throws SchedulerException {
            return slurm.job(jobId);
        }

        @Override
        public List<JobStatus> jobsOn(String node) throws SchedulerException {
            return slurm.jobsOn(node);
        }

        @Override
        public boolean isOperator(String user) throws SchedulerException {
            return slurm.isOperator(user);
        }

        @Override
        public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
            slurm.proveMembership(job, process, nodes);
        }

        @Override
        public void release(JobStatus job) throws SchedulerException {
            slurm.release(job);
        }

        @Override
        public void drain(String node, String reason) throws SchedulerException {
            slurm.drain(node, reason);
        }

        @Override
        public void resume(String node) throws SchedulerException {
            slurm.resume(node);
        }

        @Override
        public Optional<String> migrationTarget(String fromNode) throws SchedulerException {
            return slurm.migrationTarget(fromNode);
        }
    }
}
