package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Preemption by checkpoint ({@code preempt_order C}, set by install-mom-actions --server): a
 * high-priority job that needs the node's CPUs makes the scheduler checkpoint the running
 * low-priority job through Cryo's checkpoint_abort action and requeue it (Q, no hold); once the
 * high job has ended the scheduler runs it again through the restart action, from its context,
 * and its work finishes with the known result, each step done once.
 */
@ResourceLock(PbsLive.LOCK)
class PbsPreemptionLiveTest {
    private static final String EXPRESS = "cryoexpress";
    private static final int STEPS = 12;

    @BeforeAll
    static void createExpressQueue() {
        PbsLive.assumePbs();
        PbsLive.installMomActions();
        String sched = PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "list sched"), 60);
        assertTrue(sched.matches("(?s).*preempt_order = C\\b.*"), "install-mom-actions --server set preempt_order C: " + sched);
        PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "delete queue " + EXPRESS), 60);
        PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "create queue " + EXPRESS
                + " queue_type=execution,priority=200,enabled=true,started=true"), 60);
    }

    @AfterAll
    static void deleteExpressQueue() {
        PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "delete queue " + EXPRESS), 60);
    }

    @Test
    void aHighPriorityJobPreemptsTheLowOneByCheckpointAndItResumesFromItsContextAfter() {
        Path dir = PbsLive.jobDir("preempt-low", PbsLive.USER);
        Path highDir = PbsLive.jobDir("preempt-high", PbsLive.OTHER_USER);
        String low = null;
        String high = null;
        try {
            String cpus = "select=1:ncpus=" + nodeCpus() + ":host=" + PbsLive.here();
            low = PbsLive.startGatedJob(dir, STEPS, "-c", "s", "-l", cpus);
            String session = PbsLive.awaitState(low, "R/42", 60, s -> s.is("R", 42)).session();

            long start = System.nanoTime();
            PbsLive.writeSleepScript(highDir, 20);
            high = PbsLive.asUser(PbsLive.OTHER_USER, highDir, List.of(PbsLive.bin("qsub").toString(), "-f", "-m", "n", "-q",
                    EXPRESS, "-l", cpus, "-j", "oe", "-o", highDir.resolve("job.out").toString(),
                    highDir.resolve("job.sh").toString()), 0).strip();
            String lowId = low;
            JobState requeued = PbsLive.awaitState(low, "Q (preempted by checkpoint, requeued)", 120,
                    s -> s.state().equals("Q") || PbsLive.contexts(dir, lowId).isEmpty() && s.state().equals("F"));
            long vacated = System.nanoTime();
            assertEquals("Q", requeued.state(), "preempted by checkpoint and requeued: " + requeued + PbsLive.actionLogTail(low));
            assertFalse(requeued.holdTypes().contains("s"), "the scheduler's hold is gone: " + requeued);
            assertFalse(PbsLive.contexts(dir, low).isEmpty(), "the preemption's context file");
            assertTrue(PbsLive.sessionMembers(session).isEmpty(), "nothing of the low job runs while preempted");
            JobState highRunning = PbsLive.awaitState(high, "the high job to run", 120, s -> s.state().equals("R"));
            long highAt = System.nanoTime();
            PbsLive.figure("preemption: high job submitted -> low job Q after " + (vacated - start) / 1_000_000
                    + " ms, high job R after " + (highAt - start) / 1_000_000 + " ms (" + highRunning + ")");

            PbsLive.awaitState(high, "the high job to end", 180, s -> s.state().equals("F"));
            PbsLive.awaitState(low, "the low job to run again", 180, s -> s.state().equals("R"));
            PbsLive.waitUntil("the low job's restored work in session " + session, 60,
                    () -> !PbsLive.sessionMembers(session).isEmpty());
            PbsLive.openGate(dir);
            PbsLive.assertFinishedCorrectlyOnce(dir, low, STEPS);
            // after a PBS restart Exit_status means nothing (F/93 either way, plugin-pbs/README.md)
            JobState done = PbsLive.awaitState(low, "F", 180, s -> s.state().equals("F"));
            PbsLive.figure("preemption: the low job ended as " + done);
            assertEquals(1, PbsLive.lines(dir.resolve("runs.log")).stream().filter(l -> l.startsWith("run ")).count(),
                    "the low job's script ran once (the restart came from the context)");
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(high);
            PbsLive.cleanUp(low);
        }
    }

    /** The CPUs of this host's node, where both jobs run: both ask for all of them. */
    private static String nodeCpus() {
        String nodes = PbsLive.run(Path.of("/"), List.of(PbsLive.bin("pbsnodes").toString(), PbsLive.here()), 60);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("resources_available\\.ncpus = (\\d+)").matcher(nodes);
        assertTrue(m.find(), "pbsnodes -av names the node's ncpus: " + nodes);
        return m.group(1);
    }
}
