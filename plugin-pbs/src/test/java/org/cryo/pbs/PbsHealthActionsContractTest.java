package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.cryo.api.SafeText;
import org.cryo.health.Decision;
import org.cryo.health.Finding;
import org.cryo.health.Level;
import org.cryo.health.NodeActions;
import org.cryo.health.Signal;
import org.cryo.health.Verdict;
import org.cryo.scheduler.JobControl;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 on PBS, against the clients of a real OpenPBS 23.06.06, replayed ({@link RecordedPbs}):
 * the node agent (NodeActions, the same SPI as Slurm's and Grid Engine's) reading a fixture sysfs
 * tree offlines the node with {@code pbsnodes -o -C REASON} (the reason naming the precursor), lists
 * the node's jobs, leaves a job without a cr_run process alone, changes nothing in a dry run, and
 * keeps a refused offline to retry it with backoff.  (The policy that gives the verdict is the
 * core's, tested there; here the verdict is given.)  The live suite ({@code PbsHealthLiveTest}) moves a real job.
 */
class PbsHealthActionsContractTest {
    /** A listing of every job while 3.vm was the one active job is that job's record in the same JSON shape. */
    private static final String ONE_JOB_LISTING = "qstat -fx -F json lists every job as qstat -fx -F json JOB lists one:"
            + " {\"Jobs\": {ID: {...}}}; A1 was recorded while 3.vm (R/42 on vm) was the only active job";
    /** pbsnodes -o prints nothing and exits 0 whatever the comment (recorded with "cryo drain test"). */
    private static final String ANY_COMMENT = "pbsnodes -o -C prints nothing whatever the comment; recorded with"
            + " \"cryo drain test\"";

    private static final String NODE = "vm";

    /** The verdict the policy gives for ECC corrected errors at {@code level} (its reason is the drain comment). */
    private static Verdict ecc(Level level, int errors) {
        return new Verdict(level, level, List.of(new Finding(level, Signal.MEMORY_CORRECTED,
                "edac mc0/dimm0 dimm_ce_count", "ECC corrected", errors + " corrected errors within 1h (" + level.label()
                + " at " + (level == Level.WARN ? 20 : 200) + ")")), System.currentTimeMillis(), 2);
    }

    private static NodeActions actions(RecordedPbs pbs, boolean dryRun) throws Exception {
        Map<String, String> env = pbs.environment();
        return new NodeActions(JobControl.of(pbs.adapter(env), env), NODE, "test agent on vm", dryRun);
    }

    /** The comment pbsnodes gets: the verdict's reason, control characters escaped, cut to 80 characters. */
    private static String offline(Verdict verdict) {
        return "pbsnodes -o -C " + SafeText.escape(verdict.reason(), 80) + " " + NODE;
    }

    @Test
    void warnOfflinesTheNodeWithACommentNamingThePrecursorAndTouchesNoJob() throws Exception {
        Verdict warn = ecc(Level.WARN, 30);
        assertTrue(warn.reason().startsWith("cryo health warn: ECC corrected: edac mc0/dimm0"), warn.reason());
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json")
                .serveFor(offline(warn), "P-pbsnodes-offline.txt", ANY_COMMENT)) {
            NodeActions actions = actions(pbs, false);
            Decision decision = actions.act(warn, System.currentTimeMillis());
            assertEquals("drain", decision.action());
            assertEquals("done", decision.outcome(), decision.toString());
            assertEquals(List.of(), decision.jobs(), "warn moves nothing");
            assertEquals(List.of("pbsnodes -av -F json", offline(warn)), pbs.calls(),
                    "vm's MoM is at the default port: pbsnodes -o -C, nothing else asked of PBS");
            assertNull(actions.act(warn, System.currentTimeMillis()), "a level is acted on once while it lasts");
        }
    }

    @Test
    void evacuateOfflinesTheNodeThenLeavesAJobWithoutACrRunProcessRunning() throws Exception {
        Verdict evacuate = ecc(Level.EVACUATE, 400);
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json")
                .serveFor(offline(evacuate), "P-pbsnodes-offline.txt", ANY_COMMENT)
                .serveFor("qstat -fx -F json", "A1-running.json", ONE_JOB_LISTING).serve("A1-running.json")) {
            Decision decision = actions(pbs, false).act(evacuate, System.currentTimeMillis());
            assertEquals("evacuate", decision.action());
            assertEquals("done", decision.outcome(), decision.toString());
            assertEquals(1, decision.jobs().size(), decision.toString());
            assertEquals("3.vm", decision.jobs().get(0).jobId());
            // its catalog (PBS_O_WORKDIR /home/pbsuser/.cryo/3.vm) is not on this machine: no process recorded
            assertEquals("skipped: not checkpointable (no cr_run process)", decision.jobs().get(0).outcome());
            List<String> calls = pbs.calls();
            assertEquals(List.of("pbsnodes -av -F json", offline(evacuate), "qstat -fx -F json"), calls.subList(0, 3),
                    "offline first, then the node's jobs");
            assertTrue(calls.stream().noneMatch(c -> c.startsWith("qrerun") || c.startsWith("qhold")), "nothing requeued: "
                    + calls);
        }
    }

    @Test
    void aDryRunListsTheJobsItWouldMoveAndOfflinesNothing() throws Exception {
        Verdict evacuate = ecc(Level.EVACUATE, 400);
        try (RecordedPbs pbs = new RecordedPbs().serveFor("qstat -fx -F json", "A1-running.json", ONE_JOB_LISTING)) {
            Decision decision = actions(pbs, true).act(evacuate, System.currentTimeMillis());
            assertEquals("dry-run: would drain the node and checkpoint and requeue its checkpointable jobs", decision.outcome());
            assertEquals(List.of(new Decision.JobOutcome("3.vm", "dry-run: would move", null, -1, -1)), decision.jobs());
            assertEquals(List.of("qstat -fx -F json"), pbs.calls(), "no pbsnodes: nothing changed");
        }
    }

    @Test
    void aRefusedOfflineIsKeptAndRetriedWithBackoffNotLost() throws Exception {
        Verdict evacuate = ecc(Level.EVACUATE, 400);
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json").serveFor(offline(evacuate),
                "P-pbsnodes-offline-as-user.txt", "recorded as pbsnodes -o vm by pbsuser: the comment changes nothing")) {
            NodeActions actions = actions(pbs, false);
            long now = System.currentTimeMillis();
            Decision refused = actions.act(evacuate, now);
            assertTrue(refused.failed(), refused.toString());
            assertEquals("failed: PBS: Error marking node vm - Unauthorized Request (node vm, exit status 1) (attempt 1,"
                    + " retry in 2 s)", refused.outcome());
            assertEquals(List.of("pbsnodes -av -F json", offline(evacuate)), pbs.calls(), "no job touched after the refusal");
            assertNull(actions.act(evacuate, now + 1000), "backing off");
            assertEquals(Level.OK, actions.acted(), "the decision is still pending");
            Decision retried = actions.act(evacuate, now + 2000);
            assertTrue(retried.outcome().endsWith("(attempt 2, retry in 4 s)"), retried.toString());
        }
    }

    @Test
    void aCommentGivenToQmgrIsOneDoubleQuotedStringWithoutDoubleQuotesInside() {
        // a MoM at another port than 15002 is offlined through qmgr, and its comment set there (PbsHealthLiveTest: vm2)
        assertEquals("\"cryo health warn: ECC 'x'\"", PbsAdapter.qmgrString("cryo health warn: ECC \"x\""));
    }
}
