package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.health.Decision;
import org.cryo.health.HealthPolicy;
import org.cryo.health.Journal;
import org.cryo.health.NodeActions;
import org.cryo.health.NodeAgent;
import org.cryo.health.NodeHealth;
import org.cryo.health.Notices;
import org.cryo.health.SysfsFixture;
import org.cryo.health.monitor.SysfsTree;
import org.cryo.pbs.live.PbsLive.JobState;
import org.cryo.scheduler.JobControl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 11 on a real OpenPBS: the node agent (NodeActions over the PBS adapter, the SPI Slurm and
 * Grid Engine use) reading a fixture sysfs tree for this host's node sees its ECC corrected
 * errors pass the policy, offlines the node ({@code pbsnodes -o -C REASON}: the reason names the
 * precursor), checkpoints the checkpointable job there and reruns it ({@code qrerun}); PBS runs it
 * on the other node, where cr_run restarts it from the context, and the work finishes with the
 * known result, each step once.  And {@code cryo health --act --scheduler pbs} (what a MoM
 * periodic hook or cron runs) offlines the other node (a MoM at another port: through qmgr) at
 * warn, its comment naming the precursor.  Needs two MoMs sharing the job directory.
 */
@ResourceLock(PbsLive.LOCK)
class PbsHealthLiveTest {
    private static final int STEPS = 12;

    @TempDir
    Path work;

    @BeforeAll
    static void needsTwoNodes() {
        PbsLive.assumeTwoNodesWithMomActions();
    }

    @Test
    void eccErrorsOfflineTheNodeWithTheirReasonAndMoveItsJobToTheOtherNode() throws Exception {
        Path dir = PbsLive.jobDir("health", PbsLive.USER);
        String here = PbsLive.here();
        String jobId = null;
        try {
            jobId = startHere(dir, here);
            SysfsFixture tree = new SysfsFixture(Files.createDirectories(work.resolve("sys"))).edacDimm(0, 0, 0, 0);
            NodeHealth health = new NodeHealth(HealthPolicy.with(Map.of("monitors", "edac"), "test"),
                    new SysfsTree(tree.root(), new Notices(System.out)));
            JobControl pbs = JobControl.open("pbs", System.getenv());
            NodeAgent agent = new NodeAgent(health, new NodeActions(pbs, here, "pbs live agent on " + here, false),
                    Journal.in(work.resolve("journal")));
            assertNull(agent.pollOnce(), "nothing to do while healthy");
            tree.edacDimm(0, 0, 400, 0);
            long written = System.currentTimeMillis();
            Decision decision = agent.pollOnce();
            assertEquals("evacuate", decision.action(), decision.toString());
            assertEquals("done", decision.outcome(), decision.toString());
            String submitted = jobId;
            Decision.JobOutcome moved = decision.jobs().stream().filter(j -> j.jobId().equals(submitted)).findFirst()
                    .orElseThrow(() -> new AssertionError("job " + submitted + " not among " + decision));
            assertEquals("moved", moved.outcome(), decision.toString());
            JsonNode node = node(here);
            assertTrue(node.path("state").asText().contains("offline"), node.toString());
            assertTrue(node.path("comment").asText().startsWith("cryo health evacuate: ECC corrected: edac mc0"),
                    node.toString());
            String id = jobId;
            JobState elsewhere = PbsLive.awaitState(jobId, "R on another node", 180,
                    s -> s.state().equals("R") && !s.execHost().isEmpty() && !s.execHost().startsWith(here + "/"));
            long running = System.currentTimeMillis();
            PbsLive.waitUntil("the job script's second run", 120, () -> runs(dir) >= 2);
            PbsLive.figure(String.format("health evacuate (ECC) on %s: detected by the poll after the write, offline"
                    + " +%d ms, checkpoint %d ms, qrerun +%d ms after detection, R on %s +%d ms after detection", here,
                    decision.drainedMillis(), moved.checkpointMillis(), moved.requeuedMillis(), elsewhere.execHost(),
                    running - decision.at()));
            assertTrue(decision.at() >= written, "decided after the write");
            PbsLive.openGate(dir);
            List<String> progress = PbsLive.assertFinishedCorrectlyOnce(dir, id, STEPS);
            assertEquals(1, progress.stream().filter(l -> l.startsWith("START ")).count(), "restarted, not rerun from the top");
            JobState done = PbsLive.awaitState(jobId, "F", 180, s -> s.state().equals("F"));
            assertNotEquals(here, done.execHost().split("/")[0], "finished on the other node: " + done);
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("pbsnodes").toString(), "-r", here), 60);
        }
    }

    @Test
    void cryoHealthActOfflinesANodeAtWarnWithACommentNamingThePrecursor() throws Exception {
        String other = PbsLive.nodes().stream().filter(n -> !n.equals(PbsLive.here())).findFirst().orElseThrow();
        SysfsFixture tree = new SysfsFixture(Files.createDirectories(work.resolve("sys"))).edacDimm(0, 0, 5, 0);
        List<String> health = List.of("health", "--act", "--scheduler", "pbs", "--root", tree.root().toString(),
                "--state", work.resolve("state.json").toString(), "--node", other);
        try {
            String first = PbsLive.cryo(health.toArray(String[]::new));
            assertEquals("ok", first.lines().filter(l -> !l.startsWith("cryo health: ")).findFirst().orElse(""), first);
            assertTrue(!node(other).path("state").asText().contains("offline"), node(other).toString());
            tree.edacDimm(0, 0, 40, 0);   // 35 more since the last run (its history kept in --state): warn
            String second = PbsLive.cryo(health.toArray(String[]::new));
            assertTrue(second.contains("drain: done"), second);
            JsonNode node = node(other);
            assertTrue(node.path("state").asText().contains("offline"), node.toString());
            assertTrue(node.path("comment").asText().startsWith("cryo health warn: ECC corrected: edac mc0/dimm0"),
                    node.toString());
        } finally {
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "set node " + other
                    + " state = free"), 60);
        }
    }

    /** The job placed on {@code here} (the other nodes offline meanwhile), R/42 and waiting at its gate. */
    private static String startHere(Path dir, String here) {
        return PbsLive.startGatedJobOn(here, dir, STEPS, "", "-c", "s", "-r", "y", "-l", "select=1:ncpus=1");
    }

    private static JsonNode node(String name) {
        return PbsLive.nodeAttributes(name);
    }

    private static long runs(Path dir) {
        return PbsLive.lines(dir.resolve("runs.log")).stream().filter(l -> l.startsWith("run ")).count();
    }
}
