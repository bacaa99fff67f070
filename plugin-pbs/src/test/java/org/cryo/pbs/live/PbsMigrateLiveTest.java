package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code cryo pbs migrate --node NODE} (root): the node goes offline, each checkpointable job
 * there is checkpointed to its catalog (shared storage) and rerun ({@code qrerun}); PBS runs its
 * script on another node, where cr_run restarts the work from the latest context, and the work
 * finishes with the known result, each step once.  Needs two MoMs whose hosts share the job
 * directory ({@code -Dcryo.pbs.live.jobs}); skipped on a single-node PBS.
 */
@ResourceLock(PbsLive.LOCK)
class PbsMigrateLiveTest {
    private static final int STEPS = 12;

    @BeforeAll
    static void needsTwoNodes() {
        PbsLive.assumePbs();
        Assumptions.assumeTrue(PbsLive.nodes().size() >= 2, "cryo pbs migrate --node needs a second MoM; this PBS has "
                + PbsLive.nodes());
        PbsLive.installMomActions();
    }

    @Test
    void migrateMovesTheJobToTheOtherNodeWhereItResumesFromItsContext() {
        Path dir = PbsLive.jobDir("migrate", PbsLive.USER);
        String jobId = null;
        String node = null;
        try {
            // the job starts on this host (where cryo pbs migrate runs): the other nodes are offline meanwhile
            String here = PbsLive.run(Path.of("/"), List.of("hostname", "-s"), 10).strip();
            List<String> others = PbsLive.nodes().stream().filter(n -> !n.equals(here)).toList();
            try {
                // qmgr, not pbsnodes -o: pbsnodes names a MoM host at the default port only
                others.forEach(n -> PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c",
                        "set node " + n + " state = offline"), 60));
                jobId = PbsLive.startGatedJob(dir, STEPS, "-c", "s", "-r", "y", "-l", "select=1:ncpus=1");
            } finally {
                others.forEach(n -> PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c",
                        "set node " + n + " state = free"), 60));
            }
            JobState running = PbsLive.awaitState(jobId, "R/42", 60, s -> s.is("R", 42));
            node = running.execHost().split("/")[0];
            assertEquals(here, node, "the job started on this host: " + running);
            long start = System.nanoTime();
            String out = PbsLive.cryo("pbs", "migrate", "--node", node);
            assertTrue(out.contains("1 job(s) migrated"), out);
            String from = node;
            String id = jobId;
            JobState moved = PbsLive.awaitState(jobId, "R on another node", 180,
                    s -> s.state().equals("R") && !s.execHost().isEmpty() && !s.execHost().startsWith(from + "/"));
            PbsLive.figure("cryo pbs migrate --node " + node + ": R on " + moved.execHost() + " after "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
            PbsLive.waitUntil("the job script's second run", 120, () -> runs(dir) >= 2);
            PbsLive.openGate(dir);
            List<String> progress = PbsLive.assertFinishedCorrectlyOnce(dir, id, STEPS);
            assertEquals(1, progress.stream().filter(l -> l.startsWith("START ")).count(), "restarted, not rerun from the top");
            JobState done = PbsLive.awaitState(jobId, "F", 180, s -> s.state().equals("F"));
            assertEquals("0", done.exitStatus(), "finished: " + done);
            assertNotEquals(from, done.execHost().split("/")[0], "finished on the other node");
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
            if (node != null) {
                PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("pbsnodes").toString(), "-r", node), 60);
            }
        }
    }

    private static long runs(Path dir) {
        return PbsLive.lines(dir.resolve("runs.log")).stream().filter(l -> l.startsWith("run ")).count();
    }
}
