package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * qhold on a running checkpointable job makes the MoM run Cryo's checkpoint_abort action: the job
 * is checkpointed to its catalog, its session ended, and it is held (H/60); qrls makes the MoM run
 * the restart action, which restores it into its original session, so PBS keeps tracking it (a
 * job restarted into another session is lost to PBS about 21 s later); it can be held and
 * released again; its work finishes with the known result, each step done once, and PBS ends the
 * job (as F/93: after a PBS restart Exit_status means nothing, see plugin-pbs/README.md).
 */
@ResourceLock(PbsLive.LOCK)
class PbsHoldReleaseLiveTest {
    private static final int STEPS = 12;
    /** Longer than the MoM's grace period and first polls after a restart (a lost job is F/93 after about 21 s). */
    private static final long TRACKED_SECONDS = 35;

    @BeforeAll
    static void installActions() {
        PbsLive.assumePbs();
        PbsLive.installMomActions();
    }

    @Test
    void qholdCheckpointsEndsAndHoldsAndQrlsResumesInTheSameSessionTwice() {
        Path dir = PbsLive.jobDir("hold", PbsLive.USER);
        String jobId = null;
        try {
            jobId = PbsLive.startGatedJob(dir, STEPS, "-c", "s");
            JobState running = PbsLive.awaitState(jobId, "R/42", 60, s -> s.is("R", 42));
            String session = running.session();
            assertFalse(PbsLive.sessionMembers(session).isEmpty(), "the job's session " + session + " has processes");

            int before = PbsLive.stepsDone(dir);
            holdAndCheck(dir, jobId, session, 1);
            resumeAndCheck(dir, jobId, session, before, "first");

            // held again: a job PBS restarted must get back to R/42 (the action's qsig suspend/resume) to be holdable
            PbsLive.awaitState(jobId, "R/42 again after the restart (holdable)", 90, s -> s.is("R", 42));
            before = PbsLive.stepsDone(dir);
            holdAndCheck(dir, jobId, session, 2);
            resumeAndCheck(dir, jobId, session, before, "second");

            PbsLive.openGate(dir);
            // (the restored work's own getsid() may say 0: restored as the owner it runs in a PID namespace
            // whose session leader is outside; the node sees it in the session, which is what PBS tracks)
            PbsLive.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
            // the restored work is not the MoM's child: PBS ends the job F/93 whatever the work's status
            // (plugin-pbs/README.md, "the end of a job PBS restarted"); the work's output is the truth
            JobState done = PbsLive.awaitState(jobId, "F (ended)", 180, s -> s.state().equals("F"));
            PbsLive.figure("hold/release: the job ended as " + done);
            assertEquals(1, PbsLive.lines(dir.resolve("runs.log")).stream().filter(l -> l.startsWith("run ")).count(),
                    "the job script ran once (the restarts came from the context)");
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
        }
    }

    /** qhold as the owner: it returns once the action has checkpointed and ended the job; then H/60, a new context, nothing left in the session. */
    private static void holdAndCheck(Path dir, String jobId, String session, int contexts) {
        long start = System.nanoTime();
        PbsLive.asUser(PbsLive.USER, dir, List.of(PbsLive.bin("qhold").toString(), jobId), 0);
        long returned = System.nanoTime();
        JobState held = PbsLive.awaitState(jobId, "H/60 (held after its checkpoint)", 120, s -> s.is("H", 60));
        long heldAt = System.nanoTime();
        PbsLive.figure("qhold #" + contexts + " of a running job: qhold returned after " + millis(start, returned)
                + " ms, H/60 after " + millis(start, heldAt) + " ms");
        assertTrue(held.holdTypes().contains("u"), "a user hold: " + held);
        assertTrue(PbsLive.contexts(dir, jobId).size() >= contexts,
                "context file #" + contexts + " in the catalog: " + PbsLive.contexts(dir, jobId));
        PbsLive.waitUntil("session " + session + " to be empty after the checkpoint_abort", 30,
                () -> PbsLive.sessionMembers(session).isEmpty());
        int steps = PbsLive.stepsDone(dir);
        PbsLive.openGate(dir);
        PbsLive.sleep(1500);
        assertEquals(steps, PbsLive.stepsDone(dir), "no step while held (the work is ended, not only gated)");
        PbsLive.closeGate(dir);
    }

    /** qrls: R again from the restart action, in the same session, still R and stepping past the time PBS drops a lost job. */
    private static void resumeAndCheck(Path dir, String jobId, String session, int before, String which) {
        long start = System.nanoTime();
        PbsLive.asUser(PbsLive.USER, dir, List.of(PbsLive.bin("qrls").toString(), jobId), 0);
        PbsLive.awaitState(jobId, "R after qrls", 120, s -> s.state().equals("R"));
        long runningAt = System.nanoTime();
        PbsLive.waitUntil("the restored work in session " + session, 60, () -> !PbsLive.sessionMembers(session).isEmpty());
        long restoredAt = System.nanoTime();
        PbsLive.figure("qrls (" + which + "): R after " + millis(start, runningAt) + " ms, the restored work in session "
                + session + " after " + millis(start, restoredAt) + " ms");
        PbsLive.openGate(dir);
        PbsLive.awaitSteps(dir, jobId, before + 2);
        PbsLive.closeGate(dir);
        PbsLive.sleep(TRACKED_SECONDS * 1000);
        JobState later = PbsLive.stateOf(jobId).orElseThrow();
        assertEquals("R", later.state(), TRACKED_SECONDS + " s after qrls PBS still runs the job: " + later
                + PbsLive.actionLogTail(jobId));
        assertFalse(PbsLive.sessionMembers(session).isEmpty(), "the restored work still runs in session " + session);
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
