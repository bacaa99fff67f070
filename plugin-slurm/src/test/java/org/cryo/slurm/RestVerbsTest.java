package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Each verb through the REST version the test cluster's slurmrestd negotiates (v0.0.42 on 24.11,
 * v0.0.38 on 22.05) on a real job and node, checked with Slurm's own record ({@code scontrol
 * show}); the verbs that version lacks go through scontrol, as {@link RestVersion} says.  Prints
 * how long a requeue takes through scontrol (no REST version has one) beside a REST job update.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestCluster.LOCK)
class RestVerbsTest {
    @Test
    void everyVerbTakesTheWayItsVersionHas() throws Exception {
        SlurmControl slurm = SlurmControl.connect(SlurmConfig.from(RestCluster.environment()), warning -> {
            throw new AssertionError(warning);
        });
        RestVersion version = slurm.session().version();
        for (SlurmVerb verb : SlurmVerb.values()) {
            String route = slurm.route(verb);
            assertEquals(version.hasRest(verb), route.startsWith("REST " + version.apiName() + " "), verb + ": " + route);
        }
        assertFalse(version.hasRest(SlurmVerb.REQUEUE), "no REST version up to v0.0.42 requeues");
        assertEquals(version != RestVersion.V0038, version.hasRest(SlurmVerb.NODE_UPDATE));
    }

    @Test
    void jobVerbsOnARealJob() throws Exception {
        SlurmControl slurm = connect();
        String jobId = RestCluster.pendingJob();
        try {
            SlurmJob job = slurm.job(jobId);
            assertEquals("PENDING", job.jobState());
            assertEquals("BeginTime", job.reason());
            assertEquals("root", job.user());
            assertEquals("/tmp", job.workDir());
            assertTrue(job.requeue());
            assertTrue(slurm.jobs().stream().anyMatch(j -> j.jobId().equals(jobId)));

            slurm.setHeld(jobId, true);
            assertTrue(slurm.job(jobId).isHeld());
            assertEquals("0", record(jobId, "Priority"));
            slurm.setHeld(jobId, false);
            assertFalse(slurm.job(jobId).isHeld());

            slurm.update(jobId, JobUpdate.timeLimit(7));
            assertEquals("00:07:00", record(jobId, "TimeLimit"));
            String node2 = nodes().get(1);
            slurm.update(jobId, JobUpdate.excludedNodes(List.of(node2)));
            assertEquals(node2, record(jobId, "ExcNodeList"));

            slurm.update(jobId, JobUpdate.startNow());
            TestCluster.waitUntil("job " + jobId + " to start once StartTime is now", 60, () -> {
                try {
                    return slurm.job(jobId).jobState().equals("RUNNING");
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(List.of(nodes().get(0)), slurm.job(jobId).nodes(), "not on the excluded node");
        } finally {
            RestCluster.scancel(jobId);
        }
    }

    @Test
    void nodeVerbsOnARealNode() throws Exception {
        SlurmControl slurm = connect();
        List<String> names = nodes();
        assertEquals(Set.copyOf(names), Set.copyOf(slurm.nodes().stream().map(SlurmNode::name).toList()));
        String node2 = names.get(1);
        try {
            slurm.drainNode(node2, "cryo rest test");
            assertTrue(record("node", node2, "State").contains("DRAIN"), record("node", node2, "State"));
            assertTrue(slurm.nodes().stream().anyMatch(n -> n.name().equals(node2) && n.drained()));
            assertTrue(RestCluster.slurm("scontrol", "show", "node", node2).contains("Reason=cryo rest test"));
        } finally {
            slurm.resumeNode(node2);
        }
        assertFalse(record("node", node2, "State").contains("DRAIN"), record("node", node2, "State"));
        assertTrue(slurm.nodes().stream().anyMatch(n -> n.name().equals(node2) && !n.drained()));
        assertEquals(slurm.commands().ping(), slurm.ping());
        assertTrue(slurm.diag().serverThreads() > 0);
    }

    /**
     * A running job requeued (scontrol: the only way) and released with REST job updates, timed
     * beside the same update through scontrol.  Figures only; the assertions are Slurm's record.
     */
    @Test
    void requeueThroughScontrolBesideRestUpdates() throws Exception {
        SlurmControl slurm = connect();
        String jobId = RestCluster.slurm("sbatch", "--parsable", "--requeue", "-o", "/dev/null", "--chdir=/tmp",
                "--wrap", "sleep 300").strip();
        try {
            TestCluster.waitUntil("job " + jobId + " to run", 60, () -> running(slurm, jobId));
            long start = System.nanoTime();
            slurm.requeue(jobId, false);
            long requeue = System.nanoTime() - start;
            assertEquals("1", record(jobId, "Restarts"));
            List<Long> restHold = new ArrayList<>();
            List<Long> scontrolHold = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                for (boolean held : new boolean[] {true, false}) {
                    restHold.add(timed(() -> slurm.setHeld(jobId, held)));
                    scontrolHold.add(timed(() -> slurm.commands().setHeld(jobId, held)));
                }
            }
            assertFalse(slurm.job(jobId).isHeld(), "released last");
            List<Long> restUpdate = new ArrayList<>();
            List<Long> scontrolUpdate = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int minutes = 10 + i;
                restUpdate.add(timed(() -> slurm.update(jobId, JobUpdate.timeLimit(minutes))));
                scontrolUpdate.add(timed(() -> slurm.commands().update(jobId, JobUpdate.timeLimit(minutes + 10))));
            }
            assertEquals("00:24:00", record(jobId, "TimeLimit"));
            System.out.printf("RestVerbsTest: Slurm %s, %s: requeue (scontrol) %.1f ms; hold/release via %s: %s ms,"
                    + " via scontrol: %s ms; job update via %s: %s ms, via scontrol: %s ms%n",
                    slurm.session().slurmRelease(), slurm.session().version().apiName(), requeue / 1e6,
                    slurm.route(SlurmVerb.HOLD_RELEASE), millis(restHold), millis(scontrolHold),
                    slurm.route(SlurmVerb.JOB_UPDATE), millis(restUpdate), millis(scontrolUpdate));
        } finally {
            RestCluster.scancel(jobId);
        }
    }

    @FunctionalInterface
    private interface Verb {
        void run() throws Exception;
    }

    private static long timed(Verb verb) throws Exception {
        long start = System.nanoTime();
        verb.run();
        return System.nanoTime() - start;
    }

    private static boolean running(SlurmControl slurm, String jobId) {
        try {
            return slurm.job(jobId).jobState().equals("RUNNING");
        } catch (Exception e) {
            return false;
        }
    }

    private static String millis(List<Long> nanos) {
        return String.join(" ", nanos.stream().map(n -> String.format("%.1f", n / 1e6)).toList());
    }

    private static SlurmControl connect() throws Exception {
        SlurmControl slurm = SlurmControl.connect(SlurmConfig.from(RestCluster.environment()), warning -> {
            throw new AssertionError(warning);
        });
        assertTrue(slurm.session().usable(), slurm.session().problem());
        return slurm;
    }

    private static List<String> nodes() {
        return List.of(TestCluster.environment().get("SLURM_NODES").split(" "));
    }

    private static String record(String jobId, String field) throws Exception {
        return record("job", jobId, field);
    }

    /** A field of {@code scontrol show job|node NAME}. */
    private static String record(String kind, String name, String field) throws Exception {
        String record = RestCluster.slurm("scontrol", "show", kind, name);
        Matcher matcher = Pattern.compile("(?:^|\\s)" + field + "=(\\S*)").matcher(record);
        assertTrue(matcher.find(), "no " + field + " in: " + record);
        return matcher.group(1);
    }
}
