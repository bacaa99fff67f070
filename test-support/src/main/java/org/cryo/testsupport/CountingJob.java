package org.cryo.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The work of every scheduler test's job: counting_job.py (this module's resource) appends START
 * once, STEP 1..N and then RESULT (a SHA-256 chain: a known value) and DONE to its progress file; a
 * run restarted from a context carries on after its last step, so a correct run over any number of
 * checkpoints and restarts has each line once.
 */
public final class CountingJob {
    private CountingJob() {
    }

    /** The program's path in the repository at {@code home} (jobs run it as a file, on whichever node). */
    public static Path program(Path home) {
        return home.resolve("test-support/src/main/resources/counting_job.py");
    }

    /** The lines of {@code file}, none while it does not exist (or cannot be read yet). */
    public static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    public static int stepsDone(Path progress) {
        return (int) lines(progress).stream().filter(line -> line.startsWith("STEP ")).count();
    }

    public static boolean done(Path progress) {
        return lines(progress).contains("DONE");
    }

    /**
     * START once, STEP 1..N once each and in order, then "RESULT " + {@code expectedResult} (what
     * the program prints with --expected N); returns the lines.
     */
    public static List<String> assertStepsOnceAndResult(Path progress, String jobId, int steps, String expectedResult) {
        List<String> lines = lines(progress);
        assertEquals(steps + 3, lines.size(), "progress of job " + jobId + ": " + lines);
        assertTrue(lines.get(0).startsWith("START "), lines.get(0));
        for (int i = 1; i <= steps; i++) {
            assertTrue(lines.get(i).startsWith("STEP " + i + " "), "line " + i + ": " + lines);
        }
        assertEquals("RESULT " + expectedResult, lines.get(steps + 1));
        return lines;
    }
}
