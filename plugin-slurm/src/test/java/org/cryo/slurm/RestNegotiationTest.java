package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;

/**
 * Which slurmrestd API version Cryo picks, against the real slurmrestd of the test cluster
 * (22.05: v0.0.36-38; 24.11: v0.0.40-42) and a second one started with only some versions; and
 * what happens without a usable slurmrestd (down, stopped midway, token refused, no version in
 * common): one warning naming the URL, and every verb through scontrol.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestCluster.LOCK)
class RestNegotiationTest {
    private static final int SECOND_REST_PORT = 6829;

    @Test
    void theNewestVersionTheClusterServesIsChosen() throws Exception {
        SlurmControl slurm = connect(RestCluster.environment(), new ArrayList<>());
        RestSession session = slurm.session();
        assertTrue(session.usable(), session.problem());
        if (RestCluster.isDataParserCluster()) {
            assertEquals(Set.of("v0.0.40", "v0.0.41", "v0.0.42"), session.served());
            assertEquals(RestVersion.V0042, session.version());
            assertTrue(session.slurmRelease().startsWith("24.11"), session.slurmRelease());
        } else {
            assertTrue(session.served().contains("v0.0.38"), session.served().toString());
            assertEquals(RestVersion.V0038, session.version());
            assertTrue(session.slurmRelease().startsWith("22.05"), session.slurmRelease());
        }
        assertEquals(slurm.commands().ping(), session.slurmRelease(), "REST and scontrol name the same release");

        String version = cryo(RestCluster.environment(), 0, "slurm", "--version");
        assertTrue(version.contains("Slurm " + session.slurmRelease()) && version.contains("in use "
                + session.version().apiName() + " (negotiated)"), version);
    }

    @Test
    void aSlurmrestdServingOnlySomeVersionsGetsTheNewestOfThem() throws Exception {
        boolean dataParser = RestCluster.isDataParserCluster();
        List<String> some = dataParser ? List.of("v0.0.40", "v0.0.41") : List.of("v0.0.36", "v0.0.38");
        List<String> oldest = dataParser ? List.of("v0.0.40") : List.of("v0.0.37");
        assertEquals(dataParser ? RestVersion.V0041 : RestVersion.V0038, sessionWith(some).version());

        RestSession alone = sessionWith(oldest);
        assertEquals(Set.copyOf(oldest), alone.served());
        if (dataParser) {
            assertEquals(RestVersion.V0040, alone.version());
        } else {
            assertFalse(alone.usable(), "v0.0.37 is not a version Cryo speaks");
            assertEquals("slurmrestd at http://127.0.0.1:" + SECOND_REST_PORT + " serves v0.0.37, none of which Cryo"
                    + " speaks (v0.0.42, v0.0.41, v0.0.40, v0.0.38)", alone.problem());
        }
    }

    @Test
    void aPinnedVersionIsUsedWithoutAsking() throws Exception {
        Map<String, String> env = RestCluster.environment();
        boolean dataParser = RestCluster.isDataParserCluster();
        env.put("CRYO_SLURM_API", dataParser ? "v0.0.40" : "v0.0.42");
        List<String> warnings = new ArrayList<>();
        RestSession session = connect(env, warnings).session();
        assertEquals(Set.of(), session.served(), "not asked");
        if (dataParser) {
            assertEquals(RestVersion.V0040, session.version());
            assertTrue(warnings.isEmpty(), warnings.toString());
        } else {
            assertFalse(session.usable());
            assertTrue(session.problem().contains("has no /slurm/v0.0.42/ping/ (HTTP 404)"), session.problem());
            assertEquals(1, warnings.size(), warnings.toString());
        }
        env.put("CRYO_SLURM_API", "v0.0.39");
        SchedulerException e = assertThrows(SchedulerException.class, () -> connect(env, new ArrayList<>()));
        assertEquals("CRYO_SLURM_API=v0.0.39 is not an API version Cryo speaks (v0.0.42, v0.0.41, v0.0.40, v0.0.38,"
                + " or auto)", e.getMessage());
    }

    @Test
    void slurmrestdDownMeansOneWarningNamingTheUrlAndScontrolForEveryVerb() throws Exception {
        Map<String, String> env = RestCluster.environment();
        String url = "http://127.0.0.1:" + RestCluster.closedPort();
        env.put("SLURM_REST_URL", url);
        String jobId = RestCluster.pendingJob();
        try {
            List<String> warnings = new ArrayList<>();
            SlurmControl slurm = connect(env, warnings);
            assertEquals(List.of("warning: slurmrestd at " + url + " is not answering (connection refused); using"
                    + " scontrol instead"), warnings);
            assertScontrolDoesEveryVerb(slurm, jobId);
            assertEquals(1, warnings.size(), "one warning, not one per verb: " + warnings);

            String able = cryo(env, 2, "slurm", "checkpoint", "able", jobId);
            assertTrue(able.startsWith("warning: slurmrestd at " + url + " is not answering"), able);
            assertTrue(able.contains("job " + jobId + " (PENDING) is not checkpointable now"), able);
            String rest = cryo(env, 2, "slurm", "rest");
            assertTrue(rest.startsWith("slurmrestd " + url + ": not used: slurmrestd at " + url + " is not answering"), rest);

            env.put("CRYO_SCONTROL", "/bin/false");
            SchedulerException e = assertThrows(SchedulerException.class, () -> connect(env, new ArrayList<>()).job(jobId));
            assertTrue(e.getMessage().startsWith("slurmrestd at " + url + " is not answering (connection refused), and false"),
                    e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        } finally {
            RestCluster.scancel(jobId);
        }
    }

    @Test
    void slurmrestdStoppedMidwayHandsOverToScontrol() throws Exception {
        Map<String, String> env = RestCluster.environment();
        env.put("SLURM_REST_URL", "http://127.0.0.1:" + SECOND_REST_PORT);
        String jobId = RestCluster.pendingJob();
        Process slurmrestd = RestCluster.startSlurmrestd(SECOND_REST_PORT, servedByCluster(), log("midway"));
        try {
            List<String> warnings = new ArrayList<>();
            SlurmControl slurm = connect(env, warnings);
            assertTrue(slurm.session().usable(), slurm.session().problem());
            assertEquals(jobId, slurm.job(jobId).jobId());
            RestCluster.stop(slurmrestd);
            assertEquals(jobId, slurm.job(jobId).jobId(), "scontrol answers now");
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("warning: slurmrestd at http://127.0.0.1:" + SECOND_REST_PORT
                    + " is not answering"), warnings.get(0));
            assertFalse(slurm.session().usable());
            assertEquals("scontrol show job", slurm.route(SlurmVerb.JOB_INFO));
        } finally {
            RestCluster.stop(slurmrestd);
            RestCluster.scancel(jobId);
        }
    }

    @Test
    void aRefusedTokenMeansScontrol() throws Exception {
        Map<String, String> env = RestCluster.environment();
        // A well-formed JWT that no cluster's key signed.
        env.put("SLURM_REST_TOKEN", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1biI6InJvb3QifQ."
                + "c2lnbmVkLWJ5LW5vLWNsdXN0ZXI");
        String jobId = RestCluster.pendingJob();
        try {
            List<String> warnings = new ArrayList<>();
            SlurmControl slurm = connect(env, warnings);
            assertFalse(slurm.session().usable());
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("warning: slurmrestd at " + env.get("SLURM_REST_URL"))
                    && warnings.get(0).contains("token"), warnings.get(0));
            assertEquals(jobId, slurm.job(jobId).jobId());
        } finally {
            RestCluster.scancel(jobId);
        }
    }

    /** Job and node reads, hold/release and a job update, all through scontrol. */
    private static void assertScontrolDoesEveryVerb(SlurmControl slurm, String jobId) throws Exception {
        for (SlurmVerb verb : SlurmVerb.values()) {
            assertEquals(verb.command(), slurm.route(verb), verb.title());
        }
        SlurmJob job = slurm.job(jobId);
        assertEquals("PENDING", job.jobState());
        assertEquals("root", job.user());
        assertEquals("/tmp", job.workDir());
        assertTrue(job.requeue());
        assertTrue(slurm.jobs().stream().anyMatch(j -> j.jobId().equals(jobId)));
        slurm.setHeld(jobId, true);
        assertTrue(slurm.job(jobId).isHeld());
        slurm.setHeld(jobId, false);
        assertFalse(slurm.job(jobId).isHeld());
        slurm.update(jobId, JobUpdate.timeLimit(9));
        assertTrue(RestCluster.slurm("scontrol", "show", "job", jobId).contains("TimeLimit=00:09:00"));
        List<String> nodes = List.of(TestCluster.environment().get("SLURM_NODES").split(" "));
        assertEquals(Set.copyOf(nodes), Set.copyOf(slurm.nodes().stream().map(SlurmNode::name).toList()));
        assertTrue(slurm.diag().serverThreads() > 0);
        assertEquals(slurm.commands().ping(), slurm.ping());
    }

    /** The versions the cluster's slurmrestd serves by default, as a second slurmrestd's plugin list. */
    private static List<String> servedByCluster() throws Exception {
        return RestCluster.isDataParserCluster() ? List.of("v0.0.40", "v0.0.41", "v0.0.42") : List.of("v0.0.38");
    }

    private static RestSession sessionWith(List<String> versions) throws Exception {
        Map<String, String> env = RestCluster.environment();
        env.put("SLURM_REST_URL", "http://127.0.0.1:" + SECOND_REST_PORT);
        Process slurmrestd = RestCluster.startSlurmrestd(SECOND_REST_PORT, versions, log(String.join("-", versions)));
        try {
            return connect(env, new ArrayList<>()).session();
        } finally {
            RestCluster.stop(slurmrestd);
        }
    }

    private static SlurmControl connect(Map<String, String> env, List<String> warnings) throws SchedulerException {
        return SlurmControl.connect(SlurmConfig.from(env), warnings::add);
    }

    private static Path log(String name) throws Exception {
        return TestCluster.jobDir("slurmrestd-" + name).resolve("slurmrestd.log");
    }

    /** bin/cryo ARGS with {@code env} (through CRYO_SLURM_EXEC on 24.11); fails unless it exits with {@code status}. */
    private static String cryo(Map<String, String> env, int status, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(TestCluster.cryo()));
        command.addAll(List.of(args));
        Map<String, String> childEnv = new HashMap<>(env);
        if (env.containsKey("CRYO_SLURM_EXEC")) {
            childEnv.remove("CRYO_SCONTROL");   // in the cluster's root, its own scontrol is /usr/bin/scontrol
        }
        return TestCluster.run(Path.of("/tmp"), RestCluster.clientCommand(command), childEnv, status);
    }

}
