package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.cryo.cli.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The node-side entry points a scheduler's hooks call, {@code cryo job checkpoint|migrate|restart|clean},
 * on a real job: its work under cr_run (in this JVM, so that the in-memory scheduler's job is the one
 * it detects), checkpointed, migrated, restarted by the hook, migrated again, run again by the
 * scheduler (cr_run restarts it), finished with the right result and every step done once, cleaned.
 */
@ResourceLock(InMemorySchedulerLock.NAME)
class JobEntryPointsTest {
    private static final String ME = System.getProperty("user.name");
    private static final int STEPS = 60;

    @TempDir
    Path work;
    private Path progress;
    private InMemoryScheduler.Job job;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void aJobOfTheInMemoryScheduler() {
        InMemoryScheduler.reset();
        progress = work.resolve("progress.txt");
        job = InMemoryScheduler.add("31", ME, work.resolve(".cryo"));
        InMemoryScheduler.current = new BatchJob(InMemoryScheduler.NAME, "31", JobRun.counted("0"), work.resolve(".cryo"));
    }

    @AfterEach
    void nothingLeftRunning() throws Exception {
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            if (p.info().commandLine().orElse("").contains(work.toString())) {
                p.destroyForcibly();
            }
        }
        threads.shutdown();
        assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS), "every command returned");
        InMemoryScheduler.reset();
    }

    @Test
    void hooksCheckpointMigrateRestartAndCleanARealJob() throws Exception {
        Future<Integer> firstRun = crRun();
        waitUntil("3 steps", () -> steps() >= 3);

        assertEquals(0, cryo("job", "checkpoint", "--scheduler", "memory", "31"));
        assertEquals(1, job.directory().contexts().size());
        int atCheckpoint = steps();
        waitUntil("the job to run on", () -> steps() > atCheckpoint);

        assertEquals(0, cryo("job", "migrate", "--scheduler", "memory", "31"));
        assertNotEquals(0, (int) firstRun.get(60, TimeUnit.SECONDS), "the process was ended");
        assertEquals(2, job.directory().contexts().size());
        int atMigration = steps();
        assertOneLineRefusal(2, "is not one of the job's processes", "job", "checkpoint", "--scheduler", "memory", "31");

        Future<Integer> restartHook = threads.submit(() -> Main.run("cryo", "job", "restart", "--scheduler", "memory", "31"));
        waitUntil("the restart hook's process to work", () -> restored() && steps() > atMigration);
        assertEquals(0, cryo("job", "checkpoint", "--scheduler", "memory", "31"), "the restored process is the job's");
        assertEquals(0, cryo("job", "migrate", "--scheduler", "memory", "31"));
        assertNotEquals(0, (int) restartHook.get(60, TimeUnit.SECONDS));

        job.run = "1";   // the scheduler runs the job again: cr_run restarts it from the latest context
        InMemoryScheduler.current = new BatchJob(InMemoryScheduler.NAME, "31", JobRun.counted("1"), work.resolve(".cryo"));
        Future<Integer> rerun = crRun();
        waitUntil("the rerun to be recorded", () -> restored() && recordedRun().equals("1"));
        assertOneLineRefusal(2, "still runs; not cleaned", "job", "clean", "--scheduler", "memory", "--keep", "0", "31");
        assertOneLineRefusal(2, "still runs; not restarted", "job", "restart", "--scheduler", "memory", "31");
        assertEquals(0, (int) rerun.get(180, TimeUnit.SECONDS));
        assertFinishedCorrectlyOnce();

        assertEquals(0, cryo("job", "clean", "--scheduler", "memory", "--keep", "0", "31"));
        assertFalse(Files.exists(job.directory().path()), "the job's catalog is gone");
    }

    @Test
    void badRequestsAreOneLineRefusals() throws Exception {
        assertOneLineRefusal(2, "job 99: no such job", "job", "checkpoint", "--scheduler", "memory", "99");
        assertOneLineRefusal(2, "no adapter for scheduler 'lsf'", "job", "migrate", "--scheduler", "lsf", "31");
        assertOneLineRefusal(2, "is not checkpointable: no process recorded", "job", "checkpoint", "--scheduler", "memory", "31");
        assertOneLineRefusal(2, "has no context file", "job", "restart", "--scheduler", "memory", "31");
        InMemoryScheduler.current = null;
        assertOneLineRefusal(1, "not in a batch job: give --scheduler NAME", "job", "checkpoint", "31");
        job.user = "somebody-else";
        // this JVM runs as root in the tests: root may act on anyone's job, so ask as a plain user
        JobControl plain = new JobControl(new InMemoryScheduler(), java.util.Map.of(),
                org.cryo.api.Checkpointer.create(org.cryo.engine.CryoHome.find().orElseThrow()),
                NodeExecutor.configured(java.util.Map.of()), "mallory");
        SchedulerException e = org.junit.jupiter.api.Assertions.assertThrows(SchedulerException.class, () -> plain.migrateHere("31"));
        assertTrue(e.getMessage().startsWith("permission denied: job 31"), e.getMessage());
    }

    private Future<Integer> crRun() {
        return threads.submit(() -> Main.run("cr_run", "/usr/bin/python3", VacateWorkflowTest.script().toString(),
                progress.toString(), Integer.toString(STEPS), "0.1"));
    }

    private static int cryo(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "cryo";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.run(all);
    }

    /** 'cryo ARGS' exits with {@code status} and prints one line on stderr containing {@code expected}. */
    private static void assertOneLineRefusal(int status, String expected, String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = cryo(args);
        } finally {
            System.setErr(err);
        }
        String output = captured.toString(StandardCharsets.UTF_8).strip();
        assertEquals(status, exit, output);
        assertEquals(1, output.lines().count(), "one line: " + output);
        assertTrue(output.startsWith("cryo job ") && output.contains(expected), output);
    }

    private boolean restored() {
        try {
            return job.directory().process().map(JobProcess::restored).orElse(false);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private String recordedRun() {
        try {
            return job.directory().process().map(JobProcess::run).orElse("");
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private List<String> lines() {
        try {
            return Files.exists(progress) ? Files.readAllLines(progress) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private int steps() {
        return (int) lines().stream().filter(l -> l.startsWith("STEP ")).count();
    }

    /** START once, STEP 1..N once each and in order, the uninterrupted run's RESULT, DONE. */
    private void assertFinishedCorrectlyOnce() throws Exception {
        List<String> lines = lines();
        assertEquals(STEPS + 3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("START "), lines.get(0));
        for (int i = 1; i <= STEPS; i++) {
            assertTrue(lines.get(i).startsWith("STEP " + i + " "), "line " + i + ": " + lines);
        }
        Process expected = new ProcessBuilder("/usr/bin/python3", VacateWorkflowTest.script().toString(), "--expected",
                Integer.toString(STEPS)).start();
        String result = new String(expected.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(expected.waitFor(60, TimeUnit.SECONDS));
        assertEquals("RESULT " + result, lines.get(STEPS + 1));
        assertEquals("DONE", lines.get(STEPS + 2));
    }

    private static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
