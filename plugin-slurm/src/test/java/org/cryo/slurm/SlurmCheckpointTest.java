package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.Migration;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real jobs on the real two-node cluster (22.05: node "vm" = this host, "node2" = a slurmd in its
 * own network and UTS namespace; 24.11: "tnode1" and "tnode2", see scripts/trixie/README.md): checkpoint, requeue, vacate, restart, migrate, and bad input.
 * Each job appends START once and STEP 1..N to progress.txt; a restart from a context must
 * carry on after the last step, so every line appears once and RESULT is the known value.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestCluster.LOCK)
class SlurmCheckpointTest {
    private static final int STEPS = 20;
    private static final double SECONDS_PER_STEP = 0.3;

    private static Map<String, String> environment;
    private static JobControl slurm;
    private static String headNode;
    private static String node2;

    @BeforeAll
    static void connect() throws Exception {
        environment = TestCluster.environment();
        slurm = JobControl.open("slurm", environment);
        String release = ((SlurmAdapter) slurm.adapter()).slurm().ping();
        assertTrue(release.startsWith(TestCluster.release()), "Slurm release " + release + ", the cluster says " + TestCluster.release());
        String[] nodes = environment.get("SLURM_NODES").split(" ");
        headNode = nodes[0];
        node2 = nodes[1];
    }

    @Test
    void requeuedJobRestartsFromItsContextAndDoesTheWorkOnce() throws Exception {
        Path dir = TestCluster.jobDir("requeue");
        String jobId = startCheckpointableJob(dir, "-w", headNode);

        long start = System.nanoTime();
        CheckpointRecord checkpoint = slurm.vacate(jobId, VacateMode.REQUEUE);
        long requeued = System.nanoTime();
        TestCluster.waitUntil("job " + jobId + " to restart", 60,
                () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
        long resumed = System.nanoTime();
        System.out.printf("TIMING requeue: checkpoint %d ms, checkpoint+requeue %.2f s, requeue->resumed %.2f s%n",
                checkpoint.millis(), (requeued - start) / 1e9, (resumed - requeued) / 1e9);

        assertFinishedCorrectlyOnce(dir, jobId);
        assertEquals(Integer.toString(1), slurm.job(jobId).run());
    }

    /** Issue 3: {@code cr_run --pid-ns}: the catalog holds the namespace's init; the whole namespace moves. */
    @Test
    void requeuedJobInItsOwnPidNamespaceRestartsAsAWhole() throws Exception {
        Path dir = TestCluster.jobDir("pidns");
        TestCluster.checkpointableScript(dir, STEPS, SECONDS_PER_STEP, "--pid-ns");
        String jobId = TestCluster.sbatch(dir, "-w", headNode, dir.resolve("job.sh").toString());
        TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
        long init = slurm.processes(jobId).get(0).pid();
        assertEquals("1", nsPid(init), "the recorded process is the namespace's init");

        CheckpointRecord checkpoint = slurm.vacate(jobId, VacateMode.REQUEUE);
        TestCluster.waitUntil("job " + jobId + " to restart", 60,
                () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
        System.out.printf("TIMING pid-ns requeue: checkpoint of the namespace %d ms%n", checkpoint.millis());
        assertFinishedCorrectlyOnce(dir, jobId);
        assertEquals(Integer.toString(1), slurm.job(jobId).run());
        List<String> progress = TestCluster.lines(dir.resolve("progress.txt"));
        assertTrue(progress.get(0).startsWith("START pid=2 "), "the work is PID 2 of its namespace: " + progress);
    }

    /** The innermost PID of a process (NSpid's last field), or "" if it is gone. */
    private static String nsPid(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] fields = line.substring(6).trim().split("\\s+");
                    return fields[fields.length - 1];
                }
            }
        } catch (java.io.IOException e) {
            // gone
        }
        return "";
    }

    @Test
    void vacatedJobOnTheNamespaceNodeWaitsHeldAndRestartsFromItsContext() throws Exception {
        Path dir = TestCluster.jobDir("vacate");
        String jobId = startCheckpointableJob(dir, "-w", node2);

        CheckpointRecord checkpoint = slurm.vacate(jobId, VacateMode.HOLD);
        assertEquals(node2, checkpoint.node());
        TestCluster.waitUntil("job " + jobId + " to be held", 30, () -> stateOf(jobId) == JobState.HELD);
        int stepsAtVacate = TestCluster.stepsDone(dir.resolve("progress.txt"));
        Thread.sleep(1500);
        assertEquals(stepsAtVacate, TestCluster.stepsDone(dir.resolve("progress.txt")), "no work while vacated");

        slurm.restart(jobId);
        assertFinishedCorrectlyOnce(dir, jobId);
    }

    @Test
    void createLeavesTheJobRunningAndKeepsTheLatestContexts() throws Exception {
        Path dir = TestCluster.jobDir("create");
        String jobId = startCheckpointableJob(dir);
        CheckpointRecord first = slurm.checkpoint(jobId);
        CheckpointRecord second = slurm.checkpoint(jobId);
        assertNotEquals(first.file(), second.file());
        assertEquals(second.file(), slurm.directory(slurm.job(jobId)).latest().orElseThrow());
        assertEquals(JobState.RUNNING, stateOf(jobId));
        TestCluster.waitUntil("job " + jobId + " to finish", 60, () -> TestCluster.done(dir.resolve("progress.txt")));
        assertFinishedCorrectlyOnce(dir, jobId);
    }

    /**
     * Issue 9: cr_run used to put the catalog in SLURM_SUBMIT_DIR and cryo slurm looked in the
     * WorkDir; a job submitted with --chdir now has one catalog, in its WorkDir, for both.
     */
    @Test
    void aJobSubmittedWithChdirHasItsCatalogInItsWorkDirForBothSides() throws Exception {
        Path submitDir = TestCluster.jobDir("chdir-submit");
        Path workDir = TestCluster.jobDir("chdir-work");
        TestCluster.checkpointableScript(workDir, STEPS, SECONDS_PER_STEP);
        String jobId = TestCluster.sbatch(submitDir, "--chdir", workDir.toString(), workDir.resolve("job.sh").toString());
        TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                () -> TestCluster.stepsDone(workDir.resolve("progress.txt")) >= 3);
        CheckpointRecord checkpoint = slurm.vacate(jobId, VacateMode.REQUEUE);
        assertTrue(checkpoint.file().startsWith(workDir.resolve(".cryo").resolve(jobId)), checkpoint.file().toString());
        assertFinishedCorrectlyOnce(workDir, jobId);
        assertTrue(TestCluster.lines(submitDir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from "
                + checkpoint.file())), "the rerun restarted from the administrator's context file");
        assertFalse(Files.exists(submitDir.resolve(".cryo")), "nothing in the submit directory");
    }

    @Test
    void migrateMovesAJobToTheOtherNode() throws Exception {
        Path dir = TestCluster.jobDir("migrate");
        String jobId = startCheckpointableJob(dir);
        String from = slurm.job(jobId).nodes().get(0);
        String to = from.equals(headNode) ? node2 : headNode;
        try {
            List<Migration.Outcome> outcomes = Migration.migrate(slurm, from, "cryo test");
            assertTrue(outcomes.stream().anyMatch(o -> o.jobId().equals(jobId) && o.checkpoint() != null), outcomes.toString());
            assertFinishedCorrectlyOnce(dir, jobId);
            List<String> progress = TestCluster.lines(dir.resolve("progress.txt"));
            assertTrue(progress.get(1).endsWith(" " + from), "first steps on " + from + ": " + progress);
            assertTrue(progress.get(STEPS).endsWith(" " + to), "last steps on " + to + ": " + progress);
        } finally {
            slurm.adapter().resume(from);
        }
    }

    @Test
    void unknownJobIsAOneLineError() {
        SchedulerException e = assertThrows(SchedulerException.class, () -> slurm.checkpoint("999999"));
        // Slurm's own words: 22.05 "Unable to find", 24.11 "Unable to query"
        assertTrue(e.getMessage().matches("job 999999: Unable to (find|query) JobId=999999"), e.getMessage());
    }

    @Test
    void jobWithoutCrRunIsNotCheckpointableAndKeepsRunning() throws Exception {
        Path dir = TestCluster.jobDir("plain");
        String jobId = TestCluster.sbatch(dir, "--wrap", "sleep 120");
        try {
            TestCluster.waitUntil("job " + jobId + " to run", 30, () -> stateOf(jobId) == JobState.RUNNING);
            SchedulerException e = assertThrows(SchedulerException.class, () -> slurm.vacate(jobId, VacateMode.REQUEUE));
            assertTrue(e.getMessage().contains("is not checkpointable"), e.getMessage());
            assertEquals(JobState.RUNNING, stateOf(jobId));
            assertEquals(Integer.toString(0), slurm.job(jobId).run());
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    @Test
    void jobThatCannotBeRequeuedIsNotVacated() throws Exception {
        Path dir = TestCluster.jobDir("norequeue");
        String jobId = startCheckpointableJob(dir, "--no-requeue");
        try {
            SchedulerException e = assertThrows(SchedulerException.class, () -> slurm.vacate(jobId, VacateMode.REQUEUE));
            assertTrue(e.getMessage().contains("cannot be requeued"), e.getMessage());
            int steps = TestCluster.stepsDone(dir.resolve("progress.txt"));
            TestCluster.waitUntil("job " + jobId + " to go on working", 20,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) > steps);
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    @Test
    void unreachableSlurmrestdMeansScontrolForEveryVerb() throws Exception {
        Map<String, String> broken = new HashMap<>(environment);
        broken.put("SLURM_REST_URL", "http://127.0.0.1:1");   // nothing listens there
        JobControl unreachable = JobControl.open("slurm", broken);
        assertEquals("scontrol (slurmrestd unusable)", unreachable.adapter().apiVersion());
        Path dir = TestCluster.jobDir("norest");
        String jobId = startCheckpointableJob(dir);
        try {
            CheckpointRecord checkpoint = unreachable.checkpoint(jobId);
            assertEquals(checkpoint.file(), slurm.directory(slurm.job(jobId)).latest().orElseThrow());
            assertEquals(JobState.RUNNING, unreachable.job(jobId).state());
        } finally {
            TestCluster.scancel(jobId);
        }
    }

    /** Submits the counting job and waits until it has done a few steps under cr_run. */
    private static String startCheckpointableJob(Path dir, String... sbatchArguments) throws Exception {
        TestCluster.checkpointableScript(dir, STEPS, SECONDS_PER_STEP);
        List<String> arguments = new java.util.ArrayList<>(List.of(sbatchArguments));
        arguments.add(dir.resolve("job.sh").toString());
        String jobId = TestCluster.sbatch(dir, arguments.toArray(String[]::new));
        TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
        return jobId;
    }

    private static JobState stateOf(String jobId) {
        try {
            return slurm.job(jobId).state();
        } catch (SchedulerException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** START once, STEP 1..N once each and in order, the known RESULT, DONE. */
    private static void assertFinishedCorrectlyOnce(Path dir, String jobId) throws Exception {
        Path progress = dir.resolve("progress.txt");
        TestCluster.waitUntil("job " + jobId + " to finish", 90, () -> TestCluster.done(progress));
        List<String> lines = TestCluster.lines(progress);
        assertEquals(STEPS + 3, lines.size(), "progress of job " + jobId + ": " + lines);
        assertTrue(lines.get(0).startsWith("START "), lines.get(0));
        for (int i = 1; i <= STEPS; i++) {
            assertTrue(lines.get(i).startsWith("STEP " + i + " "), "line " + i + ": " + lines);
        }
        assertEquals("RESULT " + TestCluster.expectedResult(STEPS), lines.get(STEPS + 1));
    }
}
