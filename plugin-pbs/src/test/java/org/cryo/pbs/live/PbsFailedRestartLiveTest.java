package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A restart that fails must show as a failed job.  PBS itself ends a job whose restart script
 * exits non-zero as finished (F/92, Exit_status 0): a held job whose context file was damaged is
 * released, Cryo's restart action refuses the file, and PBS ends the job as failed (F/93, a
 * non-zero exit status); nothing of the job runs on, and {@code cryo pbs checkpoint error JOB}
 * names the failed restart.
 */
@ResourceLock(PbsLive.LOCK)
class PbsFailedRestartLiveTest {
    @BeforeAll
    static void installActions() {
        PbsLive.assumePbs();
        PbsLive.installMomActions();
    }

    @Test
    void aRestartFromADamagedContextEndsTheJobAsFailed() {
        Path dir = PbsLive.jobDir("failed-restart", PbsLive.USER);
        String jobId = null;
        try {
            jobId = PbsLive.startGatedJob(dir, 12, "-c", "s");
            String session = PbsLive.awaitState(jobId, "R/42", 60, s -> s.is("R", 42)).session();
            PbsLive.asUser(PbsLive.USER, dir, List.of(PbsLive.bin("qhold").toString(), jobId), 0);
            PbsLive.awaitState(jobId, "H/60", 120, s -> s.is("H", 60));
            List<Path> contexts = PbsLive.contexts(dir, jobId);
            assertFalse(contexts.isEmpty(), "a context file after qhold");
            damage(contexts.get(contexts.size() - 1));

            PbsLive.asUser(PbsLive.USER, dir, List.of(PbsLive.bin("qrls").toString(), jobId), 0);
            JobState end = PbsLive.awaitState(jobId, "F after the failed restart", 180, s -> s.state().equals("F"));
            PbsLive.figure("failed restart: the job ended as " + end);
            assertNotEquals("0", end.exitStatus(), "a failed restart is not a success: " + end + PbsLive.actionLogTail(jobId));
            assertNotEquals(92, end.substate(), "failed (F/93), not finished (F/92): " + end + PbsLive.actionLogTail(jobId));
            assertTrue(PbsLive.sessionMembers(session).isEmpty(), "nothing of the job runs in session " + session);
            // F/93 is also how a restarted job that succeeded ends: the catalog says which it was
            String error = PbsLive.cryo("pbs", "checkpoint", "error", jobId);
            assertTrue(error.startsWith("error(") && !error.startsWith("error(0)") && error.contains("restart"),
                    "the restart's failure recorded for the job: " + error);
            assertFalse(PbsLive.lines(dir.resolve("progress.txt")).contains("DONE"), "the work never finished");
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
        }
    }

    /** Overwrites the middle of the file (its checksums no longer match), keeping its owner and size. */
    private static void damage(Path context) {
        try (RandomAccessFile file = new RandomAccessFile(context.toFile(), "rw")) {
            long length = file.length();
            file.seek(length / 2);
            byte[] junk = new byte[(int) Math.min(4096, length / 4)];
            java.util.Arrays.fill(junk, (byte) 0x5a);
            file.write(junk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
