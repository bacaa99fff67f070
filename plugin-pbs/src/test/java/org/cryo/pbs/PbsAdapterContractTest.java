package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.Test;

/**
 * The adapter against the clients of a real OpenPBS 23.06.06, replayed ({@link RecordedPbs}):
 * the command lines it runs, and what it makes of each recorded answer, bad ones included.
 */
class PbsAdapterContractTest {
    private static final String X_ONLY_ADDS_HISTORY = "-x only adds finished jobs of the history: an unknown id is"
            + " unknown either way (only qstat -f -F json 999.vm was recorded)";

    @Test
    void aRunningJobIsItsRecord() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("A1-running.json")) {
            JobStatus job = pbs.adapter().job("3.vm");
            assertEquals(JobState.RUNNING, job.state());
            assertEquals("pbsuser", job.user());
            assertEquals(List.of("vm"), job.nodes());
            assertTrue(job.requeueable());
            assertEquals("job 3.vm (R/42 on vm)", job.describe());
            assertEquals(List.of("qstat -fx -F json 3.vm"), pbs.calls());
        }
    }

    @Test
    void anUnknownJobIsOneLine() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serveFor("qstat -fx -F json 999.vm", "J-qstat-unknown-json.txt",
                X_ONLY_ADDS_HISTORY)) {
            SchedulerException e = assertThrows(SchedulerException.class, () -> pbs.adapter().job("999.vm"));
            assertInstanceOf(PbsCommands.UnknownJob.class, e);
            assertEquals("unknown job 999.vm (PBS: qstat: Unknown Job Id 999.vm)", e.getMessage());
        }
    }

    @Test
    void aMalformedIdIsNeverAnArgument() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs()) {
            for (String bad : new String[] {"abc@@x", "-h", "3.vm;rm", "", "1 2"}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pbs.adapter().job(bad));
                assertTrue(e.getMessage().startsWith("invalid PBS job id"), e.getMessage());
            }
            assertEquals(List.of(), pbs.calls());
        }
    }

    @Test
    void garbageFromQstatIsOneLine() throws Exception {
        // qstat -Bf -F json's document is not a job listing: no job 3.vm in it
        try (RecordedPbs pbs = new RecordedPbs().serveFor("qstat -fx -F json 3.vm", "qstat-Bf.txt",
                "a document that is not qstat -f -F json's: what a client printing something else gives")) {
            SchedulerException e = assertThrows(SchedulerException.class, () -> pbs.adapter().job("3.vm"));
            assertTrue(e.getMessage().startsWith("unreadable output of qstat -fx -F json 3.vm"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void holdVacatesTheJob() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("A1-running.json").serve("A-qhold-output.txt")
                .serveAfter("qhold 3.vm", "A2-held.json")) {
            PbsAdapter adapter = pbs.adapter();
            JobStatus job = adapter.job("3.vm");
            adapter.requeue(job, VacateMode.HOLD);
            assertEquals(List.of("qstat -fx -F json 3.vm", "qhold 3.vm", "qstat -fx -F json 3.vm"), pbs.calls());
        }
    }

    @Test
    void aHoldThatDoesNotVacateIsRefused() throws Exception {
        // -c n: the server sets the hold and the job runs on (K1); a job Cryo has checkpointed and
        // holds frozen must then run on too, so the adapter says PBS did not take it back
        try (RecordedPbs pbs = new RecordedPbs().serve("K1-after-qhold-c-n.json").serve("K-qhold-c-n.txt")) {
            PbsAdapter adapter = pbs.adapter();
            JobStatus job = adapter.job("11.vm");
            SchedulerException e = assertThrows(SchedulerException.class, () -> adapter.requeue(job, VacateMode.HOLD));
            assertEquals("job 11.vm is R/42 Hold_Types=u after qhold: PBS did not vacate it (Checkpoint n; are the"
                    + " MoM's actions installed? cryo pbs install-mom-actions)", e.getMessage());
            assertTrue(pbs.calls().contains("qrls 11.vm"), "the hold is taken back: " + pbs.calls());
        }
    }

    @Test
    void aFailedCheckpointAbortIsOneLine() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("E1-after-failed-qhold.json")
                .serve("E-qhold-script-fails-output.txt")) {
            PbsAdapter adapter = pbs.adapter();
            JobStatus job = adapter.job("9.vm");
            SchedulerException e = assertThrows(SchedulerException.class, () -> adapter.requeue(job, VacateMode.HOLD));
            assertEquals("the MoM's checkpoint_abort action failed for 9.vm; the job runs on (PBS: qhold: MOM"
                    + " rejected hold request: 15061 9.vm)", e.getMessage());
        }
        try (RecordedPbs pbs = new RecordedPbs().serve("E1-after-failed-qhold.json")
                .serve("E-qhold-retry-output.txt")) {
            PbsAdapter adapter = pbs.adapter();
            JobStatus job = adapter.job("9.vm");
            SchedulerException e = assertThrows(SchedulerException.class, () -> adapter.requeue(job, VacateMode.HOLD));
            assertEquals("PBS refused the request for the state of 9.vm (PBS: qhold: MOM rejected hold request:"
                    + " 15016 9.vm)", e.getMessage());
        }
    }

    @Test
    void requeueIsQrerunWhichOnlyOperatorsMay() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("B4-running-after-restart.json").serve("C-qrerun-output.txt")) {
            PbsAdapter adapter = pbs.adapter();
            adapter.requeue(adapter.job("4.vm"), VacateMode.REQUEUE);
            assertEquals(List.of("qstat -fx -F json 4.vm", "qrerun 4.vm"), pbs.calls());
        }
        try (RecordedPbs pbs = new RecordedPbs().serve("B4-running-after-restart.json").serve("C-qrerun-as-user.txt")) {
            PbsAdapter adapter = pbs.adapter();
            SchedulerException e = assertThrows(SchedulerException.class,
                    () -> adapter.requeue(adapter.job("4.vm"), VacateMode.REQUEUE));
            assertTrue(e.getMessage().startsWith("permission denied by PBS for 4.vm (PBS: qrerun: Unauthorized Request  4.vm;"),
                    e.getMessage());
        }
    }

    @Test
    void finishedAndNotPermittedAreOneLine() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("J-qhold-finished.txt").serve("J-qrls-finished.txt")
                .serve("J-qrerun-finished.txt").serve("J-qsig-finished.txt").serve("J-qhold-nonowner.txt")
                .serve("J-qrls-nonowner.txt").serve("J-qhold-unknown-jobid.txt")) {
            PbsCommands commands = pbs.commands();
            assertEquals("job 1.vm has finished (PBS: qhold: Job has finished)",
                    assertThrows(PbsCommands.Finished.class, () -> commands.hold("1.vm")).getMessage());
            assertEquals("job 1.vm has finished (PBS: qrls: Job has finished)",
                    assertThrows(PbsCommands.Finished.class, () -> commands.release("1.vm")).getMessage());
            assertInstanceOf(PbsCommands.Finished.class, assertThrows(SchedulerException.class, () -> commands.rerun("1.vm")));
            assertInstanceOf(PbsCommands.Finished.class,
                    assertThrows(SchedulerException.class, () -> commands.signal("1.vm", "suspend")));
            assertTrue(assertThrows(SchedulerException.class, () -> commands.hold("7.vm")).getMessage()
                    .startsWith("permission denied by PBS for 7.vm (PBS: qhold: Unauthorized Request  7.vm;"));
            assertTrue(assertThrows(SchedulerException.class, () -> commands.release("7.vm")).getMessage()
                    .startsWith("permission denied by PBS for 7.vm (PBS: qrls: Unauthorized Request  7.vm;"));
            assertEquals("unknown job 999.vm (PBS: qhold: Unknown Job Id 999.vm)",
                    assertThrows(PbsCommands.UnknownJob.class, () -> commands.hold("999.vm")).getMessage());
        }
    }

    @Test
    void releaseOnlyAHeldJob() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("A2-held.json").serve("A-qrls-output.txt")
                .serveFor("qstat -fx -F json 13.vm", "I2-low-preempted.json", "recorded as qstat -fx -F json 13.vm")) {
            PbsAdapter adapter = pbs.adapter();
            adapter.release(adapter.job("3.vm"));
            adapter.release(adapter.job("13.vm"));   // preempted, Q/10: the scheduler runs it again by itself
            assertEquals(List.of("qstat -fx -F json 3.vm", "qrls 3.vm", "qstat -fx -F json 13.vm"), pbs.calls());
        }
    }

    @Test
    void aRestartedJobGetsASuspendResumeCycleBeforeAHold() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("I4-low-restarted.json").serve("I-workaround-qsig-suspend.txt")
                .serve("I-workaround-qsig-resume.txt").serveAfter("qsig -s resume 13.vm", "I1-low-running.json")) {
            assertEquals("job 13.vm was R/41 (restarted by PBS): qsig -s suspend, qsig -s resume made it R/42",
                    pbs.adapter().makeHoldable("13.vm").orElseThrow());
            assertEquals(List.of("qstat -fx -F json 13.vm", "qsig -s suspend 13.vm", "qsig -s resume 13.vm",
                    "qstat -fx -F json 13.vm"), pbs.calls());
        }
        try (RecordedPbs pbs = new RecordedPbs().serve("I1-low-running.json")) {
            assertTrue(pbs.adapter().makeHoldable("13.vm").isEmpty(), "R/42: nothing to do");
            assertEquals(List.of("qstat -fx -F json 13.vm"), pbs.calls());
        }
        try (RecordedPbs pbs = new RecordedPbs().serve("B4-running-after-restart.json").serveFor("qsig -s suspend 4.vm",
                "H-qsig-suspend-as-owner.txt", "the owner's qsig -s suspend of a job (recorded for 10.vm)")) {
            // the owner may not qsig: a restarted job stays unholdable, and the adapter says why
            SchedulerException e = assertThrows(SchedulerException.class, () -> pbs.adapter().makeHoldable("4.vm"));
            assertTrue(e.getMessage().contains("Unauthorized Request"), e.getMessage());
        }
    }

    @Test
    void operatorsAreTheServersManagersAndOperators() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("qstat-Bf.json")) {
            assertFalse(pbs.adapter().isOperator("pbsuser"), "the recorded server lists no managers or operators");
            assertEquals(List.of("qstat -Bf -F json"), pbs.calls());
        }
        assertTrue(PbsAdapter.listed("root@*,ops@vm", "ops"));
        assertTrue(PbsAdapter.listed("root@*,ops@vm", "root"));
        assertFalse(PbsAdapter.listed("root@*,ops@vm", "op"));
        assertFalse(PbsAdapter.listed("", "root"));
    }

    @Test
    void drainIsPbsnodesOfflineWhichOnlyManagersMay() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json").serve("P-pbsnodes-offline.txt")
                .serve("P-pbsnodes-clear.txt")) {
            PbsAdapter adapter = pbs.adapter();
            adapter.drain("vm", "cryo drain test");
            adapter.resume("vm");
            assertEquals(List.of("pbsnodes -av -F json", "pbsnodes -o -C cryo drain test vm", "pbsnodes -av -F json",
                    "pbsnodes -r vm"), pbs.calls(), "vm's MoM is at the default port 15002: pbsnodes names it");
        }
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json").serveFor("pbsnodes -o -C cryo drain test vm",
                "P-pbsnodes-offline-as-user.txt", "recorded as pbsnodes -o vm by pbsuser: the comment changes nothing")) {
            SchedulerException e = assertThrows(SchedulerException.class, () -> pbs.adapter().drain("vm", "cryo drain test"));
            assertEquals("PBS: Error marking node vm - Unauthorized Request (node vm, exit status 1)", e.getMessage());
        }
        PbsAdapter nowhere = new PbsAdapterProvider().create(java.util.Map.of("PBS_EXEC", "/nonexistent"));
        assertThrows(IllegalArgumentException.class, () -> nowhere.drain("-o", "x"), "never an option of pbsnodes");
    }

    @Test
    void theJobsOnANodeAreItsActiveOnes() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("qstat-fx-all-final.json")) {
            // at the end of the recorded run every job had finished: none is active on vm
            assertEquals(List.of(), pbs.adapter().jobsOn("vm"));
            List<PbsJob> all = PbsJob.all(QstatJson.parse(java.nio.file.Files.readString(
                    RecordedPbs.RECORDED.resolve("qstat-fx-all-final.json")), "x"));
            assertTrue(all.size() > 10 && all.stream().allMatch(j -> j.jobState() == JobState.FINISHED), all.toString());
        }
    }
}
