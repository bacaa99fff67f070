package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An interrupted restart (issue 7): soak_job (4 processes, 12 threads, 256 MiB that all count in
 * its RESULT) is checkpointed with --kill, then restarted again and again while {@code
 * cryo-engine restore}, or {@code cr_restart} (native, in a session of its own; SIGINT to its
 * process group, as Ctrl-C),
 * gets SIGKILL, SIGTERM, SIGINT or SIGHUP at points spread from 5% to 125% of one uninterrupted
 * restore, measured first.  Every restart runs under {@code soak_job --reap}, which reaps and
 * reports ("REAPED PID exit|signal N") every orphan.  After each, one of these, and nothing else:
 * <ul>
 *   <li>interrupted: exit 125 and "interrupted by signal N" (or "... the command that started
 *   the restart died"); every process of the job that was reaped as an orphan died of SIGKILL;
 *   <li>ended before the tree ran (SIGKILL to the engine while it built, or a signal before a
 *   handler was there): no line, and the same;
 *   <li>finished: the tree ran and printed the uninterrupted run's RESULT;
 *   <li>ended by the passed-on signal: the tree ran (the engine said "restored") and its root got
 *   the signal.
 * </ul>
 * A half-built process that ran would die of SIGSEGV or exit on its own without a RESULT: both
 * fail.  None of the job's PIDs may exist afterwards.
 */
class InterruptedRestartTest {
    static final String ROUNDS = "30";
    static final String WORK = "20000";
    static final String MEM_MIB = "256";
    static final List<String> SIGNALS = List.of("KILL", "TERM", "INT", "HUP");
    static final Map<String, Integer> NUMBERS = Map.of("KILL", 9, "TERM", 15, "INT", 2, "HUP", 1);
    static final int POINTS_PER_SIGNAL = 6;
    static final Duration TRIAL_TIMEOUT = Duration.ofSeconds(40);

    /**
     * ENDED_BEFORE_THE_TREE_RAN: SIGKILL to the engine while it built, or a signal that ended
     * cr_restart (or the engine) before it had a handler, or before the restart had begun.
     */
    enum Outcome { INTERRUPTED, ENDED_BEFORE_THE_TREE_RAN, FINISHED, ENDED_BY_PASSED_ON_SIGNAL }

    private static CheckpointHarness.Original original;
    private static Path file;
    private static List<Long> jobPids;
    private static String expected;

    @BeforeAll
    static void checkpointTheJob() throws Exception {
        expected = uninterruptedResult();
        original = CheckpointHarness.Original.start("soak_job", ROUNDS, WORK, MEM_MIB);
        original.out().await(l -> l.startsWith("PROGRESS "), Duration.ofSeconds(30));
        jobPids = new ArrayList<>(List.of(original.pid()));
        ProcessHandle.of(original.pid()).orElseThrow().descendants().forEach(p -> jobPids.add(p.pid()));
        assertEquals(4, jobPids.size(), "the job's processes: " + jobPids);
        file = original.dir().resolve("soak.cryo");
        Checkpointer.create().checkpoint(original.pid(),
                CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
        original.kill();
        CheckpointHarness.awaitGone(jobPids.stream().mapToLong(Long::longValue).toArray());
        original.go();
    }

    @AfterAll
    static void cleanUp() {
        if (original != null) {
            original.close();
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void engineInterruptedAnywhereLeavesNothingOrTheWholeTree() throws Exception {
        List<String> command = reaped(Checkpointer.create().restoreCommand(file,
                RestartOptions.builder().verbose(true).build()));
        interruptEverywhere("cryo-engine restore", command, cmd -> cmd.endsWith("/cryo-engine"), false);
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void crRestartInterruptedAnywhereLeavesNothingOrTheWholeTree() throws Exception {
        List<String> command = reaped(List.of("setsid", CheckpointHarness.launcher("cr_restart").toString(), "-v",
                file.toString()));
        interruptEverywhere("cr_restart", command, cmd -> cmd.endsWith("/cr_restart"), true);
    }

    /**
     * SIGKILL to the command that started cr_restart, once the job runs: the job is not orphaned
     * silently.  cr_restart stays its parent, says so on stderr, and when the job (held by its go
     * file until then) ends, says how; the job ends with the uninterrupted run's RESULT.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void crRestartsStarterKilledUnderARunningJobLeavesItWithCrRestart() throws Exception {
        try (var held = CheckpointHarness.Original.start("soak_job", ROUNDS, WORK)) {
            held.out().await(l -> l.startsWith("PROGRESS "), Duration.ofSeconds(30));
            List<Long> pids = new ArrayList<>(List.of(held.pid()));
            ProcessHandle.of(held.pid()).orElseThrow().descendants().forEach(p -> pids.add(p.pid()));
            Path context = held.dir().resolve("held.cryo");
            Checkpointer.create().checkpoint(held.pid(),
                    CheckpointOptions.builder().file(context).endAction(EndAction.KILL).build());
            held.kill();
            CheckpointHarness.awaitGone(pids.stream().mapToLong(Long::longValue).toArray());

            Path out = held.dir().resolve("held.out");
            Path err = held.dir().resolve("held.err");
            Process reaper = start(reaped(List.of("setsid", "sh", "-c", "\"$0\" -v \"$1\" & wait",
                    CheckpointHarness.launcher("cr_restart").toString(), context.toString())), out, err);
            try {
                long starter = awaitStarterOf(reaper, "/cr_restart");
                long deadline = System.nanoTime() + TRIAL_TIMEOUT.toNanos();
                while (lines(err).stream().noneMatch(InterruptedRestartTest::isRestoredLine) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(lines(err).stream().anyMatch(InterruptedRestartTest::isRestoredLine), "not restored: " + lines(err));
                long engine = ProcessHandle.of(held.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
                send("KILL", starter);
                while (lines(err).stream().noneMatch(l -> l.contains(") died; the job restarted from "))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(ProcessHandle.of(held.pid()).isPresent(), "the job ended with cr_restart: " + lines(err));
                assertEquals(engine, ProcessHandle.of(held.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid(),
                        "the job's parent is still cr_restart");
                held.go();
                assertTrue(reaper.waitFor(TRIAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the job did not end");
                List<String> errLines = lines(err);
                assertTrue(errLines.stream().anyMatch(l -> l.contains(") died; the job restarted from ")
                        && l.contains("runs on, this process (PID " + engine + ") stays its parent")), errLines.toString());
                assertTrue(errLines.contains("cr_restart: the job restarted from " + context + " (PID "
                        + held.pid() + ") ended with exit status 0"), errLines.toString());
                assertTrue(lines(out).contains("PASS"), lines(out).toString());
                CheckpointHarness.awaitGone(pids.stream().mapToLong(Long::longValue).toArray());
            } finally {
                destroy(reaper);
            }
        }
    }

    private void interruptEverywhere(String who, List<String> command, Predicate<String> isTarget, boolean cli)
            throws Exception {
        // the engine starts, the tree runs: the quicker of two restarts, since the first one after a
        // build (a cold file) can take far longer than the trials will
        long[] first = measureOneRestore(command, isTarget);
        long[] second = measureOneRestore(command, isTarget);
        long[] window = second[1] <= first[1] ? second : first;
        long restoreMs = window[1] - window[0];
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        int kills = 0;
        for (int i = 0; i < POINTS_PER_SIGNAL; i++) {
            for (String signal : SIGNALS) {
                // the first point before the engine (cr_restart starting up), the others over the restore and past it
                long delay = i == 0 && window[0] > 0 ? window[0] / 2
                        : window[0] + Math.round(restoreMs * (0.05 + 1.20 * i / (POINTS_PER_SIGNAL - 1)));
                // Ctrl-C: SIGINT to cr_restart's process group (it, its helper and the restored root)
                boolean group = cli && signal.equals("INT");
                Outcome outcome = trial(command, isTarget, signal, group, delay, who);
                counts.merge(outcome, 1, Integer::sum);
                kills++;
            }
        }
        // Should the machine have sped up since the measurement, every point can land after the
        // release: then earlier and earlier points, each half the one before, until one lands
        // while the tree is built (the outcome that the assertion below is about).
        long earlier = window[0] + Math.round(restoreMs * 0.05);
        for (int extra = 0; extra < 8 && counts.getOrDefault(Outcome.INTERRUPTED, 0)
                + counts.getOrDefault(Outcome.ENDED_BEFORE_THE_TREE_RAN, 0) == 0; extra++) {
            earlier /= 2;
            String signal = SIGNALS.get(extra % SIGNALS.size());
            counts.merge(trial(command, isTarget, signal, cli && signal.equals("INT"), earlier, who), 1, Integer::sum);
            kills++;
        }
        System.out.printf("interrupted restart (%s): %d signals (SIGKILL, SIGTERM, SIGINT, SIGHUP; engine from %d ms,"
                + " restore %d ms): %s%n", who, kills, window[0], restoreMs, counts);
        assertTrue(counts.getOrDefault(Outcome.INTERRUPTED, 0) + counts.getOrDefault(Outcome.ENDED_BEFORE_THE_TREE_RAN, 0)
                > 0, "no signal came while the tree was being built: " + counts);
    }

    /**
     * One restart left alone: when, from the target's start, the engine runs (0 if the target is
     * the engine) and when it says "restored ... as PID", in ms.
     */
    private long[] measureOneRestore(List<String> command, Predicate<String> isTarget) throws Exception {
        Path out = original.dir().resolve("measure.out");
        Path err = original.dir().resolve("measure.err");
        Process reaper = start(command, out, err);
        try {
            long target = awaitTarget(reaper, isTarget);
            long t0 = System.nanoTime();
            long deadline = t0 + TRIAL_TIMEOUT.toNanos();
            String targetCommand = ProcessHandle.of(target).flatMap(p -> p.info().command()).orElse("");
            boolean targetIsEngine = targetCommand.endsWith("/cryo-engine") || targetCommand.endsWith("/cr_restart");
            long engineAt = targetIsEngine ? 0 : -1;
            while (lines(err).stream().noneMatch(InterruptedRestartTest::isRestoredLine) && System.nanoTime() < deadline) {
                if (engineAt < 0 && ProcessHandle.of(target).stream().flatMap(ProcessHandle::descendants)
                        .anyMatch(p -> p.info().command().orElse("").endsWith("/cryo-engine"))) {
                    engineAt = (System.nanoTime() - t0) / 1_000_000;
                }
                Thread.sleep(2);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(reaper.waitFor(TRIAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the restart did not end");
            assertEquals(Optional.of(expected), result(out), "uninterrupted restart: " + lines(err));
            long start = Math.max(engineAt, 0);
            return new long[] {start, Math.max(ms, start + 20)};
        } finally {
            destroy(reaper);
        }
    }

    /** One restart given {@code signal} after {@code delayMs}; {@code who} is the program, as its messages start. */
    private Outcome trial(List<String> command, Predicate<String> isTarget, String signal, boolean group, long delayMs,
                          String who) throws Exception {
        Path out = original.dir().resolve("trial.out");
        Path err = original.dir().resolve("trial.err");
        Process reaper = start(command, out, err);
        String where;
        List<String> errLines;
        int status;
        try {
            long target = awaitTarget(reaper, isTarget);
            Thread.sleep(delayMs);
            send(signal, group ? -target : target);
            assertTrue(reaper.waitFor(TRIAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "SIG" + signal + " after " + delayMs
                    + " ms: the restart did not end");
            errLines = lines(err);
            status = reaper.exitValue();
            where = "SIG" + signal + (group ? " to the group" : "") + " after " + delayMs + " ms (exit "
                    + reaper.exitValue() + "): stderr " + errLines + ", stdout " + lines(out);
        } finally {
            destroy(reaper);
        }
        CheckpointHarness.awaitGone(jobPids.stream().mapToLong(Long::longValue).toArray());
        boolean restored = errLines.stream().anyMatch(InterruptedRestartTest::isRestoredLine);
        Optional<String> result = result(out);
        List<String> orphansOfTheJob = errLines.stream().filter(l -> l.startsWith("REAPED "))
                .filter(l -> jobPids.contains(Long.parseLong(l.split(" ")[1]))).toList();
        String interruptedLine = who + ": interrupted by signal " + NUMBERS.get(signal);
        boolean interrupted = errLines.contains(interruptedLine)
                || errLines.contains(who + ": interrupted: the command that started the restart died");
        if (result.isPresent()) {
            assertEquals(expected, result.get(), "drift: " + where);    // ("restored" may be missing: SIGKILL just after)
            return Outcome.FINISHED;
        }
        if (interrupted || !restored) {
            assertFalse(restored, where);
            for (String orphan : orphansOfTheJob) {
                assertTrue(orphan.endsWith(" signal 9"), "a process of the half-built tree ran: " + where);
            }
            if (interrupted) {
                assertEquals(List.of(interruptedLine), errLines.stream().filter(l -> !l.startsWith("REAPED "))
                        .filter(l -> !l.startsWith(who + ": restarting ")).toList(), "one line: " + where);
                assertEquals(125, status, where);
            }
            return interrupted ? Outcome.INTERRUPTED : Outcome.ENDED_BEFORE_THE_TREE_RAN;
        }
        // the tree ran; only a catchable signal, passed on to its root, may have ended it
        assertNotEquals("KILL", signal, "the tree ran but did not finish: " + where);
        return Outcome.ENDED_BY_PASSED_ON_SIGNAL;
    }

    private static boolean isRestoredLine(String line) {
        return (line.startsWith("cryo-engine restore: restored ") || line.startsWith("cr_restart: restored "))
                && line.contains(" as PID ");
    }

    private static List<String> reaped(List<String> command) {
        List<String> full = new ArrayList<>(List.of(CheckpointHarness.program("soak_job").toString(), "--reap"));
        full.addAll(command);
        return full;
    }

    private static Process start(List<String> command, Path out, Path err) throws IOException {
        return new ProcessBuilder(command).redirectInput(new File("/dev/null")).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
    }

    /** The reaper's child once it runs the program isTarget accepts (after its exec). */
    private static long awaitTarget(Process reaper, Predicate<String> isTarget) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = reaper.toHandle().children()
                    .filter(c -> isTarget.test(c.info().command().orElse(""))).findFirst();
            if (child.isPresent()) {
                return child.get().pid();
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the restart's process did not start: " + reaper.toHandle().info());
    }

    /** The parent of the reaper's descendant whose command ends with {@code program}, once it runs. */
    private static long awaitStarterOf(Process reaper, String program) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Optional<Long> parent = reaper.toHandle().descendants()
                    .filter(c -> c.info().command().orElse("").endsWith(program)).findFirst()
                    .flatMap(ProcessHandle::parent).map(ProcessHandle::pid);
            if (parent.isPresent()) {
                return parent.get();
            }
            Thread.sleep(1);
        }
        throw new AssertionError(program + " did not start: " + reaper.toHandle().info());
    }

    private static void send(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, "--", Long.toString(pid)).redirectErrorStream(true)
                .start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill did not end");
    }

    private static void destroy(Process reaper) {
        reaper.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        reaper.destroyForcibly();
    }

    private static List<String> lines(Path path) throws IOException {
        return Files.exists(path) ? Files.readAllLines(path) : List.of();
    }

    private static Optional<String> result(Path out) throws IOException {
        return lines(out).stream().filter(l -> l.startsWith("RESULT ")).findFirst();
    }

    private static String uninterruptedResult() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("interrupted-restart-reference");
        try {
            Files.createFile(dir.resolve("go"));
            var run = CheckpointHarness.run(List.of(CheckpointHarness.program("soak_job").toString(),
                    dir.resolve("go").toString(), ROUNDS, WORK, MEM_MIB), Duration.ofSeconds(60));
            assertEquals(0, run.status(), run.describe());
            return run.out().stream().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
