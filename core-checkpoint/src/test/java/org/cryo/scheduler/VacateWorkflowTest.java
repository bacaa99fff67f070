package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.Checkpointer;
import org.cryo.engine.CryoHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The core's vacate workflow over the in-memory adapter, on a real process: checkpoint, end,
 * then requeue or hold; whatever is refused or fails before the end leaves the process running,
 * untouched, and the scheduler not asked.
 */
@ResourceLock(InMemorySchedulerLock.NAME)
class VacateWorkflowTest {
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path work;
    private InMemoryScheduler.Job job;
    private Process process;
    private JobControl control;

    @BeforeEach
    void aRunningJobUnderItsScheduler() throws Exception {
        InMemoryScheduler.reset();
        job = InMemoryScheduler.add("21", ME, work.resolve(".cryo"));
        process = new ProcessBuilder("/usr/bin/python3", script().toString(), work.resolve("progress.txt").toString(),
                "100000", "0.05").redirectErrorStream(true).redirectOutput(work.resolve("job.out").toFile()).start();
        JobDirectory dir = job.directory().create();
        dir.recordProcess(new JobProcess(process.pid(), NodeExecutor.localHostName(), "0", false));
        control = control(ME);
        waitForSteps(3);
    }

    @AfterEach
    void endTheJob() throws Exception {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        InMemoryScheduler.reset();
    }

    @Test
    void aVacateCheckpointsThenEndsThenRequeues() throws Exception {
        CheckpointRecord record = control.vacate("21", VacateMode.REQUEUE);
        assertEquals(List.of("prove " + process.pid(), "prove " + process.pid(),
                "requeue REQUEUE process held, 1 contexts, vacating yes"), job.events);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the process was ended once requeued");
        assertEquals(job.directory().latest().orElseThrow(), record.file());
        assertTrue(Files.size(record.file()) > 0);
        assertTrue(job.directory().isVacating(), "cr_run waits for the scheduler to end the run");
        assertEquals(JobState.PENDING, job.state);
        assertEquals(java.util.Optional.of(JobMove.Reason.PREEMPTED), job.directory().takeLeaving(),
                "the restart's move record says why the job left");
    }

    @Test
    void aHoldVacateAsksForAHoldAndARestartReleasesIt() throws Exception {
        control.vacate("21", VacateMode.HOLD);
        assertEquals("requeue HOLD process held, 1 contexts, vacating yes", job.events.get(job.events.size() - 1));
        assertEquals(JobState.HELD, job.state);
        control.restart("21");
        assertEquals("release HELD", job.events.get(job.events.size() - 1));
    }

    @Test
    void aRestartOfAJobThatIsNotWaitingIsRefused() {
        SchedulerException e = assertThrows(SchedulerException.class, () -> control.restart("21"));
        assertTrue(e.getMessage().contains("has no context file"), e.getMessage());
    }

    @Test
    void aFailedRequeueContinuesTheJobAsItWasAndALaterVacateSucceeds() throws Exception {
        job.failRequeue = true;
        SchedulerException e = assertThrows(SchedulerException.class, () -> control.vacate("21", VacateMode.REQUEUE));
        assertEquals("job 21 was checkpointed to " + job.directory().path().resolve("context.000001")
                + " but not requeued: the in-memory scheduler refuses to requeue job 21; its processes run on",
                e.getMessage());
        assertEquals("requeue REQUEUE process held, 1 contexts, vacating yes", job.events.get(job.events.size() - 1),
                "asked while the process was held, not ended");
        assertFalse(job.directory().isVacating(), "cr_run does not wait for a requeue that will not come");
        assertTrue(job.directory().takeLeaving().isEmpty(), "the job did not leave: a later restart is no move of this vacate");
        assertEquals(e.getMessage(), job.directory().lastError().orElseThrow().message());
        assertTrue(process.isAlive(), "the job's process was not ended");
        assertUntraced(process.pid());   // running or sleeping, not stopped
        int steps = steps();
        waitForSteps(steps + 2);
        assertStepsOnceEachInOrder();

        job.failRequeue = false;
        CheckpointRecord record = control.vacate("21", VacateMode.REQUEUE);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the second vacate ended the process");
        assertEquals(job.directory().latest().orElseThrow(), record.file());
        assertEquals(2, job.directory().contexts().size());
        assertEquals(JobState.PENDING, job.state);
        assertStepsOnceEachInOrder();
    }

    @Test
    void whateverIsRefusedBeforeTheEndLeavesTheJobRunningAndTheSchedulerUnasked() throws Exception {
        job.requeueable = false;
        assertRefusedUntouched(() -> control.vacate("21", VacateMode.REQUEUE), "cannot be requeued");
        job.requeueable = true;

        job.directory().setDisabled(true);
        assertRefusedUntouched(() -> control.vacate("21", VacateMode.REQUEUE), "checkpoints are disabled");
        assertRefusedUntouched(() -> control.checkpoint("21"), "checkpoints are disabled");
        job.directory().setDisabled(false);

        job.refuseProof = true;
        assertRefusedUntouched(() -> control.vacate("21", VacateMode.HOLD), "is not one of the job's processes");
        job.refuseProof = false;

        job.run = "1";   // the scheduler started a new run; the record is the previous run's
        assertRefusedUntouched(() -> control.vacate("21", VacateMode.REQUEUE), "has not started yet in this run");
        job.run = "0";

        JobControl mallory = control("mallory");
        assertRefusedUntouched(() -> mallory.vacate("21", VacateMode.REQUEUE), "permission denied");
        assertTrue(job.directory().lastError().map(err -> !err.message().contains("permission")).orElse(true),
                "a refused caller leaves nothing in the catalog");
    }

    @Test
    void anOperatorMayActOnAnotherUsersJob() throws Exception {
        InMemoryScheduler.OPERATORS.add("opal");
        CheckpointRecord record = control("opal").checkpoint("21");   // the job is this JVM's user's, not opal's
        assertEquals(job.directory().latest().orElseThrow(), record.file());
        assertTrue(process.isAlive(), "a checkpoint lets the job run on");
        int steps = steps();
        waitForSteps(steps + 1);
    }

    private void assertRefusedUntouched(org.junit.jupiter.api.function.Executable verb, String expected) throws Exception {
        int events = (int) job.events.stream().filter(event -> event.startsWith("requeue")).count();
        SchedulerException e = assertThrows(SchedulerException.class, verb);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertEquals(events, job.events.stream().filter(event -> event.startsWith("requeue")).count(), "not requeued");
        assertTrue(process.isAlive(), "the process runs on");
        assertTrue(job.directory().contexts().isEmpty(), "no context file");
        assertFalse(job.directory().isVacating());
        assertUntraced(process.pid());
        int steps = steps();
        waitForSteps(steps + 1);
    }

    private JobControl control(String user) {
        Path home = CryoHome.find().orElseThrow();
        return new JobControl(new InMemoryScheduler(), Map.of(), Checkpointer.create(home), NodeExecutor.configured(Map.of()),
                user);
    }

    static Path script() throws Exception {
        return org.cryo.testsupport.CountingJob.program(CryoHome.find().orElseThrow());
    }

    private int steps() {
        try {
            return (int) Files.readAllLines(work.resolve("progress.txt")).stream().filter(l -> l.startsWith("STEP ")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** Work continued where it was: STEP 1, 2, ... each once (nothing redone, nothing skipped). */
    private void assertStepsOnceEachInOrder() throws java.io.IOException {
        List<String> steps = Files.readAllLines(work.resolve("progress.txt")).stream().filter(l -> l.startsWith("STEP "))
                .toList();
        for (int i = 0; i < steps.size(); i++) {
            assertTrue(steps.get(i).startsWith("STEP " + (i + 1) + " "), steps.toString());
        }
    }

    private void waitForSteps(int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (steps() < n) {
            if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                throw new AssertionError("the job did not reach step " + n + " (at " + steps() + ")");
            }
            Thread.sleep(50);
        }
    }

    static void assertUntraced(long pid) throws Exception {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        assertTrue(status.contains("TracerPid:\t0"), status.toString());
        assertTrue(status.stream().noneMatch(l -> l.startsWith("State:\tT") || l.startsWith("State:\tt")), status.toString());
    }
}
