package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 12, the SPANK plugin: with cryo_spank.so in plugstack.conf (slurm-up.sh puts it there),
 * plain {@code sbatch --checkpoint=INTERVAL} makes an unmodified script checkpointable: no cr_run,
 * no cryo-slurm.sh, no cryo sbatch in it.
 */
@ResourceLock(TestCluster.LOCK)
class SpankCheckpointTest {
    private static final int STEPS = 70;

    /** A script that knows nothing of Cryo: bash running the counting program (a process tree). */
    private static Path plainScript(Path dir) throws Exception {
        Path script = dir.resolve("plain.sh");
        Files.writeString(script, "#!/bin/bash\n"
                + "echo \"script starts, restart ${SLURM_RESTART_COUNT:-0} on $(hostname)\"\n"
                + "/usr/bin/python3 " + TestCluster.JOB_PROGRAM + " progress.txt \"$1\" 0.3\n"
                + "echo \"script ends\"\n");
        return script;
    }

    private static String plainSbatch(Path dir, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("sbatch", "--parsable", "-o", dir.resolve("job.out").toString()));
        command.addAll(List.of(arguments));
        return TestCluster.run(dir, TestCluster.onCluster(command)).strip();
    }

    private static long periodicCheckpoints(Path dir) {
        return TestCluster.lines(dir.resolve("job.out")).stream().filter(l -> l.contains(": periodic checkpoint of pid")).count();
    }

    @Test
    void aBadIntervalOrKeepIsRefusedAtSubmissionInOneLine() throws Exception {
        Path dir = TestCluster.jobDir("spank-bad");
        for (String bad : List.of("--checkpoint=bogus", "--checkpoint=1.5", "--checkpoint=-3", "--checkpoint=1:2:3:4",
                "--checkpoint=400-00", "--checkpoint-keep=0", "--checkpoint-keep=x")) {
            TestCluster.Result result = TestCluster.execute(dir, TestCluster.onCluster(List.of("sbatch", bad, "--wrap", "true")),
                    TestCluster.jobEnvironment());
            List<String> lines = result.output().strip().lines().toList();
            assertNotEquals(0, result.status(), bad + ": " + result.output());
            assertEquals(1, lines.size(), bad + ": one line, not: " + result.output());
            String option = bad.substring(2, bad.indexOf('='));
            assertEquals("sbatch: error: Invalid --" + option + " argument: " + bad.substring(bad.indexOf('=') + 1),
                    lines.get(0));
        }
        // Slurm's time forms are accepted (--test-only: checked by the controller, nothing queued).
        for (String good : List.of("30", "0:05", "1:00:00", "2-0", "1-2:30", "1-00:00:05", "0")) {
            TestCluster.Result result = TestCluster.execute(dir, TestCluster.onCluster(List.of("sbatch", "--test-only",
                    "--checkpoint=" + good, "--checkpoint-keep=2", "--wrap", "true")), TestCluster.jobEnvironment());
            assertEquals(0, result.status(), "--checkpoint=" + good + ": " + result.output());
        }
    }

    /**
     * The whole story: periodic checkpoints every 4 s; a high-priority job takes all of the
     * node's CPUs, the low job's --signal arrives, the batch script (which the plugin started under
     * cr_run_requeueable's trap) checkpoints and requeues; the job comes back on the other node
     * from its context and finishes with the right result, each step done once.
     */
    @Test
    void plainSbatchCheckpointIsCheckpointedPreemptedAndResumesOnTheOtherNode() throws Exception {
        Map<String, String> env = TestCluster.environment();
        JobControl slurm = JobControl.open("slurm", env);
        Path dir = TestCluster.jobDir("spank-plain");
        Path script = plainScript(dir);
        String jobId = plainSbatch(dir, "--checkpoint=0:04", "--checkpoint-keep=2", "--requeue", "--open-mode=append",
                "--signal=B:USR1@5", "-p", "debug", "-c", "1", script.toString(), Integer.toString(STEPS));
        String highId = null;
        Path high = TestCluster.jobDir("spank-preemptor");
        try {
            TestCluster.waitUntil("job " + jobId + " to do a step", 60, () -> TestCluster.stepsDone(dir.resolve("progress.txt")) > 0);
            String firstNode = TestCluster.slurmRecord(jobId, "NodeList");
            TestCluster.waitUntil("2 periodic checkpoints of job " + jobId, 60, () -> periodicCheckpoints(dir) >= 2);
            JobDirectory catalog = slurm.directory(slurm.job(jobId));
            assertEquals(dir.resolve(".cryo").resolve(jobId), catalog.path(), "the catalog in the job's WorkDir");
            assertTrue(catalog.contexts().size() <= 2, "--checkpoint-keep=2: " + catalog.contexts());
            assertTrue(Files.isRegularFile(catalog.path().resolve("script")), "the batch script kept in the catalog");

            int cpus = Integer.parseInt(TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("sinfo", "-h", "-n", firstNode,
                    "-o", "%c"))).strip());
            int stepsBefore = TestCluster.stepsDone(dir.resolve("progress.txt"));
            long preempted = System.nanoTime();
            // The preemptor holds the node until the job has come back (elsewhere, then), and no longer.
            highId = TestCluster.sbatch(high, "-p", "high", "-w", firstNode, "-c", Integer.toString(cpus), "--wrap",
                    "sleep 300");
            TestCluster.waitUntil("job " + jobId + " to restart from its context", 120,
                    () -> TestCluster.lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from")));
            double resumed = (System.nanoTime() - preempted) / 1e9;
            // The counting program names its host once, at START (a restored process keeps it): Slurm's record says where the rerun is.
            String secondNode = TestCluster.slurmRecord(jobId, "NodeList");
            assertEquals("RUNNING", TestCluster.slurmRecord(highId, "JobState"), "the preemptor still holds " + firstNode);
            TestCluster.scancel(highId);
            List<String> progress = TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 120);

            assertTrue(stepsBefore < STEPS, "the job was still working when preempted");
            TestCluster.waitUntil("job " + jobId + " to end", 60,
                    () -> PreemptionTest.stateOf(slurm, jobId) == org.cryo.scheduler.JobState.FINISHED);
            List<String> out = TestCluster.lines(dir.resolve("job.out"));
            assertTrue(out.stream().anyMatch(l -> l.startsWith("cryo: SIGUSR1 at ")), "USR1 at preemption: " + out);
            assertEquals(1, out.stream().filter(l -> l.startsWith("script starts")).count(), "the script ran once: " + out);
            assertEquals(1, out.stream().filter(l -> l.startsWith("script ends")).count(), "and ended once: " + out);
            assertNotEquals(firstNode, secondNode, "resumed on the other node");
            assertTrue(progress.get(0).endsWith("host=" + firstNode), progress.get(0));
            assertEquals("COMPLETED", TestCluster.slurmRecord(jobId, "JobState"));
            // 22.05 ran it twice; 24.11 a third time: a job that requeued itself in a preemption's grace
            // time is requeued again when its next run ends (the grace flag survives the requeue), and
            // that run must not redo the work from the latest context (cr_run: "not run again").
            int restarts = Integer.parseInt(TestCluster.slurmRecord(jobId, "Restarts"));
            assertTrue(restarts == 1 || out.stream().anyMatch(l -> l.contains("not run again")), restarts + " restarts: " + out);

            // A finished job that Slurm runs again does nothing (its work is done), whoever requeued it.
            TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("scontrol", "requeue", jobId)));
            TestCluster.waitUntil("the rerun of finished job " + jobId, 90, () -> TestCluster.lines(dir.resolve("job.out"))
                    .stream().filter(l -> l.contains("not run again")).count() > (restarts > 1 ? 1 : 0));
            TestCluster.waitUntil("job " + jobId + " to end again", 60,
                    () -> PreemptionTest.stateOf(slurm, jobId) == org.cryo.scheduler.JobState.FINISHED);
            assertEquals("COMPLETED", TestCluster.slurmRecord(jobId, "JobState"));
            assertEquals(progress, TestCluster.lines(dir.resolve("progress.txt")), "nothing done again");
            System.out.printf("TIMING spank: %d periodic checkpoints; first run on %s, preemptor submitted -> resumed"
                    + " from the context on %s %.1f s%n", periodicCheckpoints(dir), firstNode, secondNode, resumed);
        } finally {
            TestCluster.scancel(jobId);
            if (highId != null) {
                TestCluster.scancel(highId);
            }
        }
    }

    /**
     * srun outside a batch job: its one task runs under cr_run (recorded in the job's catalog, so
     * checkpointable); a step of two tasks runs as it is, with a warning per task (one process tree
     * per job; an optional SPANK plugin cannot fail a task).
     */
    @Test
    void srunCheckpointRunsItsOneTaskUnderCrRunAndRefusesMoreTasks() throws Exception {
        Path dir = TestCluster.jobDir("spank-srun");
        String output = TestCluster.run(dir, TestCluster.onCluster(List.of("srun", "--checkpoint=10:00", "-n", "1",
                "/usr/bin/python3", TestCluster.JOB_PROGRAM.toString(), "progress.txt", "5", "0.1")));
        TestCluster.assertFinishedCorrectlyOnce(dir, "(srun)", 5, 10);
        List<Path> jobs;
        try (var entries = Files.list(dir.resolve(".cryo"))) {
            jobs = entries.toList();
        }
        assertEquals(1, jobs.size(), "one job's catalog: " + jobs + "\n" + output);
        assertTrue(Files.isRegularFile(jobs.get(0).resolve("process")), "cr_run recorded the task: " + output);

        Path other = TestCluster.jobDir("spank-srun2");
        TestCluster.Result two = TestCluster.execute(other, TestCluster.onCluster(List.of("srun", "--checkpoint=10:00", "-n", "2",
                "true")), TestCluster.jobEnvironment());
        assertEquals(0, two.status(), two.output());
        assertTrue(two.output().contains("cryo: --checkpoint: a step of 2 tasks is not checkpointable"), two.output());
        assertFalse(Files.exists(other.resolve(".cryo")), "not under cr_run");
    }

    /**
     * A job submitted with --chdir: its catalog is in the WorkDir Slurm records, where the
     * administrator's side looks, not in the submit directory.
     */
    @Test
    void aChdirJobIsCheckpointableAndVisibleToTheAdministrator() throws Exception {
        Map<String, String> env = TestCluster.environment();
        JobControl slurm = JobControl.open("slurm", env);
        Path submit = TestCluster.jobDir("spank-submit");
        Path work = TestCluster.jobDir("spank-chdir");
        Path script = plainScript(submit);
        List<String> command = List.of("sbatch", "--parsable", "--chdir=" + work, "-o", work.resolve("job.out").toString(),
                "--checkpoint=10:00", "--requeue", "--open-mode=append", script.toString(), "200");
        String jobId = TestCluster.run(submit, TestCluster.onCluster(command)).strip();
        try {
            TestCluster.waitUntil("job " + jobId + " to do a step", 60, () -> TestCluster.stepsDone(work.resolve("progress.txt")) > 0);
            String able = TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of(TestCluster.cryo(), "slurm", "checkpoint",
                    "able", jobId)), env, 0).strip();
            assertTrue(able.startsWith("Yes: job " + jobId), able);
            assertTrue(able.endsWith(work.resolve(".cryo").resolve(jobId).toString()), able);
            TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of(TestCluster.cryo(), "slurm", "checkpoint", "create", jobId)),
                    env, 0);
            JobDirectory catalog = slurm.directory(slurm.job(jobId));
            assertEquals(work.resolve(".cryo").resolve(jobId), catalog.path());
            assertEquals(1, catalog.contexts().size(), catalog.contexts().toString());
            assertFalse(Files.exists(submit.resolve(".cryo")), "nothing in the submit directory");
        } finally {
            TestCluster.scancel(jobId);
        }
    }
}
