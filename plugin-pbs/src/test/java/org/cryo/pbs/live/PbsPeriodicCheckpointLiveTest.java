package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code qsub -c w=1} / {@code -c c=1}: the MoM runs Cryo's checkpoint action every minute of
 * walltime / CPU time (at its next resource poll), the job runs on, the catalog keeps the last
 * three context files ({@code CRYO_KEEP_CHECKPOINTS}' default), and a checkpoint that fails
 * deletes none of the good ones before it (PBS itself deletes the previous checkpoint directory
 * when its checkpoint script fails).  The work still finishes with the known result, each step once.
 */
@ResourceLock(PbsLive.LOCK)
class PbsPeriodicCheckpointLiveTest {
    private static final int STEPS = 12;
    /** Enough for a minute of walltime or CPU time and the MoM's poll (10 s growing to 120 s) after it. */
    private static final long TICK_SECONDS = 300;

    @BeforeAll
    static void installActions() {
        PbsLive.assumePbs();
        PbsLive.installMomActions();
    }

    @Test
    void everyMinuteOfWalltimeACheckpointTheLastThreeKeptAndAFailedOneDeletesNone() {
        Path dir = PbsLive.jobDir("periodic-w", PbsLive.USER);
        String jobId = null;
        try {
            jobId = PbsLive.startGatedJob(dir, STEPS, "-c", "w=1");
            String id = jobId;
            awaitContextNumber(dir, jobId, 1);
            awaitContextNumber(dir, jobId, 2);
            assertEquals("R", PbsLive.stateOf(jobId).orElseThrow().state(), "the job runs on after its checkpoints");

            Map<Path, Long> good = sizes(PbsLive.contexts(dir, jobId));
            Path catalog = dir.resolve(".cryo").resolve(jobId);
            Set<PosixFilePermission> mode = permissions(catalog);
            int calls = checkpointCalls(jobId);
            setPermissions(catalog, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_EXECUTE));
            try {
                PbsLive.waitUntil("a periodic checkpoint into the read-only catalog", TICK_SECONDS,
                        () -> checkpointCalls(id) > calls);
            } finally {
                setPermissions(catalog, mode);
            }
            String failedLine = lastCheckpointCall(jobId);
            assertFalse(failedLine.contains("checkpointed pid"), "the checkpoint could not write: " + failedLine);
            assertEquals(good, sizes(PbsLive.contexts(dir, jobId)), "the failed checkpoint deleted or changed no context file");
            assertEquals("R", PbsLive.stateOf(jobId).orElseThrow().state(), "the job runs on after a failed checkpoint");

            awaitContextNumber(dir, jobId, 3);
            awaitContextNumber(dir, jobId, 4);
            List<Path> kept = PbsLive.contexts(dir, jobId);
            assertEquals(3, kept.size(), "the last three context files kept: " + kept);
            List<Integer> numbers = kept.stream().map(PbsPeriodicCheckpointLiveTest::number).toList();
            assertTrue(numbers.get(2) >= 4 && !numbers.contains(1), "the newest three, the oldest dropped: " + kept);
            PbsLive.figure("-c w=1: context files 1..4 written, " + kept.size() + " kept; checkpoint calls: "
                    + checkpointCalls(jobId));

            PbsLive.openGate(dir);
            PbsLive.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            JobState done = PbsLive.awaitState(jobId, "F", 120, s -> s.state().equals("F"));
            assertEquals("0", done.exitStatus(), "finished: " + done);
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
        }
    }

    /** The work spins (CPU time), so that -c c=1 reaches its minute; one checkpoint is enough to show the trigger. */
    @Test
    void everyMinuteOfCpuTimeACheckpoint() {
        Path dir = PbsLive.jobDir("periodic-c", PbsLive.USER);
        String jobId = null;
        try {
            PbsLive.writeScript(dir, 6, 0.2, true);
            PbsLive.closeGate(dir);
            jobId = PbsLive.qsub(PbsLive.USER, dir, "-c", "c=1");
            awaitContextNumber(dir, jobId, 1);
            assertEquals("R", PbsLive.stateOf(jobId).orElseThrow().state(), "the job runs on after its checkpoint");
            PbsLive.openGate(dir);
            PbsLive.assertFinishedCorrectlyOnce(dir, jobId, 6);
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
        }
    }

    private static void awaitContextNumber(Path dir, String jobId, int n) {
        long start = System.nanoTime();
        PbsLive.waitUntil("context file #" + n + " of job " + jobId + " (" + PbsLive.contexts(dir, jobId) + ", state "
                + PbsLive.state(jobId) + ")", TICK_SECONDS, () -> PbsLive.contexts(dir, jobId).stream()
                .anyMatch(f -> number(f) >= n));
        // the file is there before the action has finished and logged it: wait for its line too
        String name = String.format("context.%06d", n);
        PbsLive.waitUntil("the action's line for " + name, 120,
                () -> PbsLive.actionLog(jobId).stream().anyMatch(l -> l.contains(name)));
        PbsLive.figure("job " + jobId + ": context #" + n + " after " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    private static int number(Path context) {
        String name = context.getFileName().toString();
        return Integer.parseInt(name.substring(name.indexOf('.') + 1));
    }

    /** The MoM's periodic calls of Cryo's checkpoint action for the job, as bin/cryo-pbs-action logged them. */
    private static int checkpointCalls(String jobId) {
        return (int) PbsLive.actionLog(jobId).stream().filter(l -> l.contains("] checkpoint " + jobId + ":")).count();
    }

    private static String lastCheckpointCall(String jobId) {
        List<String> calls = PbsLive.actionLog(jobId).stream().filter(l -> l.contains("] checkpoint " + jobId + ":")).toList();
        return calls.isEmpty() ? "" : calls.get(calls.size() - 1);
    }

    private static Map<Path, Long> sizes(List<Path> files) {
        Map<Path, Long> sizes = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                sizes.put(f, Files.size(f));
            } catch (IOException e) {
                sizes.put(f, -1L);
            }
        }
        assertTrue(!sizes.isEmpty(), "context files");
        return sizes;
    }

    private static Set<PosixFilePermission> permissions(Path path) {
        try {
            return Files.getPosixFilePermissions(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void setPermissions(Path path, Set<PosixFilePermission> mode) {
        try {
            Files.setPosixFilePermissions(path, mode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
