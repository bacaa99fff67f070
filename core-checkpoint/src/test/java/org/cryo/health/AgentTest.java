package org.cryo.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.Checkpointer;
import org.cryo.engine.CryoHome;
import org.cryo.health.monitor.SysfsTree;
import org.cryo.scheduler.InMemoryScheduler;
import org.cryo.scheduler.InMemorySchedulerLock;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.NodeExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The agent over the in-memory scheduler, on a real process (the counting job) and a fixture
 * tree: evacuate moves it once even with two agents, warn only drains, dry-run changes nothing, a
 * scheduler that is down is retried with backoff, and the journal and the HTTP API tell it all.
 */
@ResourceLock(InMemorySchedulerLock.NAME)
class AgentTest {
    private static final String ME = System.getProperty("user.name");
    private static final String NODE = NodeExecutor.localHostName();

    @TempDir
    Path work;
    private SysfsFixture tree;
    private InMemoryScheduler.Job job;
    private Process process;

    @BeforeEach
    void aRunningJobOnAWatchedNode() throws Exception {
        InMemoryScheduler.reset();
        tree = new SysfsFixture(Files.createDirectories(work.resolve("sys-root"))).edacDimm(0, 0, 0, 0).hwmonTemp(0, 1, 50, 85, 95);
        job = InMemoryScheduler.add("31", ME, work.resolve(".cryo"));
        Path script = org.cryo.testsupport.CountingJob.program(org.cryo.engine.CryoHome.find().orElseThrow());
        process = new ProcessBuilder("/usr/bin/python3", script.toString(), work.resolve("progress.txt").toString(), "100000",
                "0.05").redirectErrorStream(true).redirectOutput(work.resolve("job.out").toFile()).start();
        JobDirectory dir = job.directory().create();
        dir.recordProcess(new JobProcess(process.pid(), NODE, "0", false));
        waitForSteps(2);
    }

    @AfterEach
    void endTheJob() throws Exception {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        InMemoryScheduler.reset();
    }

    private NodeAgent agent(String name, boolean dryRun, Path journal) throws Exception {
        Path home = CryoHome.find().orElseThrow();
        JobControl control = new JobControl(new InMemoryScheduler(), Map.of(), Checkpointer.create(home),
                NodeExecutor.configured(Map.of()), ME);
        NodeHealth health = new NodeHealth(HealthPolicy.with(Map.of("monitors", "edac, hwmon", "dry_run",
                Boolean.toString(dryRun)), "test"), new SysfsTree(tree.root(), new Notices(null)));
        return new NodeAgent(health, new NodeActions(control, NODE, name, dryRun), Journal.in(journal));
    }

    @Test
    void evacuateDrainsAndMovesTheJobOnceEvenWithTwoAgents() throws Exception {
        NodeAgent first = agent("agent one", false, work.resolve("journal1"));
        NodeAgent second = agent("agent two", false, work.resolve("journal2"));
        assertNull(first.pollOnce(), "nothing to do while healthy");
        assertNull(second.pollOnce());
        tree.edacDimm(0, 0, 500, 0);
        Decision moved = first.pollOnce();
        Decision again = second.pollOnce();
        assertEquals("evacuate", moved.action());
        assertEquals("done", moved.outcome(), moved.toString());
        assertEquals("moved", moved.jobs().get(0).outcome(), moved.toString());
        assertTrue(moved.reason().startsWith("cryo health evacuate: ECC corrected: edac mc0"), moved.reason());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the job's process was ended once requeued");
        assertEquals(JobState.PENDING, job.state);
        assertEquals(1, job.events.stream().filter(e -> e.startsWith("requeue")).count(), job.events.toString());
        assertEquals(List.of("exclude " + NODE + " (earlier: ) process ended, 1 contexts, vacating yes"),
                job.events.stream().filter(e -> e.startsWith("exclude")).toList(),
                "kept off the node at risk once requeued and its process ended: " + job.events);
        assertEquals(List.of(NODE), job.directory().excludedNodes(), "and the catalog says so, for the next move");
        assertEquals(List.of(), again.jobs().stream().filter(j -> j.outcome().equals("moved")).toList(),
                "the second agent moved nothing: " + again);
        assertEquals(job.directory().latest().orElseThrow().toString(), moved.jobs().get(0).context());
        assertNull(first.pollOnce(), "evacuate is acted on once");
    }

    @Test
    void theSecondAgentFindsTheRunClaimedInTheCatalog() throws Exception {
        // as if another agent had claimed this run and was still checkpointing it
        assertTrue(job.directory().claimEvacuation("0", "agent elsewhere", 1000).isEmpty());
        NodeAgent agent = agent("agent here", false, work.resolve("journal"));
        agent.pollOnce();
        tree.edacDimm(0, 0, 500, 0);
        Decision decision = agent.pollOnce();
        assertTrue(decision.jobs().get(0).outcome().startsWith("skipped: already moved (run 0 claimed by 0 agent elsewhere"),
                decision.toString());
        assertTrue(process.isAlive(), "not vacated a second time");
        assertTrue(job.directory().contexts().isEmpty());
    }

    @Test
    void warnDrainsWithoutMovingAndDryRunChangesNothing() throws Exception {
        NodeAgent dry = agent("dry", true, work.resolve("journal-dry"));
        dry.pollOnce();
        tree.edacDimm(0, 0, 500, 0);
        Decision would = dry.pollOnce();
        assertEquals("dry-run: would drain the node and checkpoint and requeue its checkpointable jobs", would.outcome());
        assertEquals("dry-run: would move", would.jobs().get(0).outcome());
        assertEquals(List.of(), job.events, "the scheduler was asked nothing but its list of jobs");
        assertTrue(process.isAlive());
        assertTrue(job.directory().contexts().isEmpty());

        tree.edacDimm(0, 0, 0, 0);   // a fresh node (the counter reset) for the real agent
        NodeAgent agent = agent("real", false, work.resolve("journal"));
        agent.pollOnce();
        tree.edacDimm(0, 0, 30, 0);
        Decision warn = agent.pollOnce();
        assertEquals(Level.WARN, warn.level());
        assertEquals("drain", warn.action());
        assertEquals(List.of("drain " + NODE), job.events);
        int steps = steps();
        waitForSteps(steps + 2);
        assertTrue(process.isAlive(), "warn lets the job run on");
        assertTrue(job.directory().contexts().isEmpty(), "and takes no checkpoint");
    }

    @Test
    void aLevelIsActedOnOnceWhileItLastsAndAgainWhenItReturns() throws Exception {
        NodeAgent agent = agent("agent", false, work.resolve("journal"));
        tree.hwmonTemp(0, 1, 88, 90, 95);   // within 10 °C of crit: warn
        assertEquals("drain", agent.pollOnce().action());
        assertNull(agent.pollOnce(), "acted on once while it lasts");
        tree.hwmonTemp(0, 1, 50, 90, 95);
        for (int poll = 0; poll < 3; poll++) {
            assertNull(agent.pollOnce());   // hysteresis: ok after 3 polls
        }
        assertEquals(Level.OK, agent.health().last().level());
        tree.hwmonTemp(0, 1, 88, 90, 95);
        assertEquals("drain", agent.pollOnce().action(), "a new incident (the admin may have resumed the node)");
        assertEquals(List.of("drain " + NODE, "drain " + NODE), job.events);
    }

    @Test
    void aSchedulerThatIsDownIsRetriedWithBackoffAndTheDecisionIsKept() throws Exception {
        NodeAgent agent = agent("agent", false, work.resolve("journal"));
        agent.pollOnce();
        InMemoryScheduler.failNextDrains = 2;
        tree.edacDimm(0, 0, 30, 0);
        Decision failed = agent.pollOnce();
        assertTrue(failed.outcome().startsWith("failed: the in-memory scheduler is down (attempt 1, retry in 2 s)"),
                failed.outcome());
        assertNull(agent.pollOnce(), "backing off");
        Decision done = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (done == null || done.failed()) {
            assertTrue(System.currentTimeMillis() < deadline, "never retried: " + agent.journal().recent());
            Thread.sleep(500);
            Decision d = agent.pollOnce();
            done = d != null ? d : done;
        }
        assertEquals("done", done.outcome());
        assertEquals(3, agent.journal().recent().size(), agent.journal().recent().toString());
        assertEquals(List.of("drain " + NODE), job.events);
    }

    @Test
    void theJournalIsPrivateAndItsLinksAreNotFollowed() throws Exception {
        Path dir = work.resolve("journal");
        NodeAgent agent = agent("agent", false, dir);
        agent.pollOnce();
        tree.edacDimm(0, 0, 30, 0);
        agent.pollOnce();
        Path journal = dir.resolve("journal.jsonl");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(journal)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        String line = Files.readAllLines(journal).get(0);
        assertTrue(line.contains("\"level\":\"warn\"") && line.contains("\"action\":\"drain\""), line);

        Path planted = work.resolve("planted");
        Files.createDirectories(work.resolve("links"));
        Files.createSymbolicLink(work.resolve("links/journal.jsonl"), planted);
        Journal linked = Journal.in(work.resolve("links"));
        assertThrows(java.io.IOException.class, () -> linked.record(agent.journal().recent().get(0)));
        assertFalse(Files.exists(planted, LinkOption.NOFOLLOW_LINKS), "nothing written through the link");
        Files.createSymbolicLink(work.resolve("linkdir"), work.resolve("links"));
        assertThrows(java.io.IOException.class, () -> Journal.in(work.resolve("linkdir")));
    }

    @Test
    void theHttpApiServesHealthDecisionsJobsAndMetrics() throws Exception {
        NodeAgent agent = agent("agent", false, work.resolve("journal"));
        agent.pollOnce();
        tree.edacDimm(0, 0, 30, 0);
        agent.pollOnce();
        try (AgentHttp http = AgentHttp.start(agent, new java.net.InetSocketAddress("127.0.0.1", 0),
                AgentAccess.of(java.util.Set.of("health", "metrics"), TOKEN))) {
            String health = get(http, "/health", null);
            assertTrue(health.contains("\"level\" : \"warn\""), health);
            assertTrue(health.contains("\"precursor\" : \"ECC corrected\""), health);
            String decisions = get(http, "/decisions", TOKEN);
            assertTrue(decisions.contains("\"action\" : \"drain\""), decisions);
            String jobs = get(http, "/jobs", TOKEN);
            assertTrue(jobs.contains("\"job\" : \"31\""), jobs);
            String metrics = get(http, "/metrics", null);
            assertTrue(metrics.contains("cryo_health_level{node=\"" + NODE + "\"} 1"), metrics);
            assertTrue(metrics.contains("cryo_health_reading{node=\"" + NODE + "\",signal=\"memory.corrected\",series=\"edac mc0 ce_count\"} 30.0"),
                    metrics);
            assertTrue(metrics.contains("cryo_job_checkpoints{node=\"" + NODE + "\",job=\"31\"} 0"), metrics);
        }
    }

    private static final String TOKEN = "0123456789abcdef0123456789abcdef-agent-test";

    @Test
    void jobDetailsAndAnythingButAGetNeedTheBearerTokenComparedAsAWhole() throws Exception {
        NodeAgent agent = agent("agent", false, work.resolve("journal"));
        agent.pollOnce();
        try (AgentHttp http = AgentHttp.start(agent, new java.net.InetSocketAddress("127.0.0.1", 0),
                AgentAccess.of(java.util.Set.of("health", "metrics"), TOKEN))) {
            for (String path : List.of("/jobs", "/decisions")) {
                HttpResponse<String> none = request(http, "GET", path, null);
                assertEquals(401, none.statusCode(), path + " without a token: " + none.body());
                assertTrue(none.body().contains("needs the agent's bearer token") && !none.body().contains("\"31\""), none.body());
                assertEquals("Bearer realm=\"cryo-agent\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
                for (String wrong : List.of(TOKEN + "x", TOKEN.substring(0, TOKEN.length() - 1), TOKEN.toUpperCase(), "")) {
                    HttpResponse<String> refused = request(http, "GET", path, wrong);
                    assertEquals(401, refused.statusCode(), path + " with '" + wrong + "': " + refused.body());
                    assertFalse(refused.body().contains("\"31\""), refused.body());
                }
                assertEquals(200, request(http, "GET", path, TOKEN).statusCode(), path + " with the token");
            }
            assertTrue(request(http, "GET", "/jobs", "x").headers().firstValue("WWW-Authenticate").orElse("")
                    .contains("error=\"invalid_token\""));
            assertEquals(401, request(http, "POST", "/health", null).statusCode(), "acting needs the token");
            assertEquals(405, request(http, "POST", "/health", TOKEN).statusCode(), "and there is nothing to act on yet");
            assertEquals(401, request(http, "GET", "/other", null).statusCode(), "an unknown path says nothing without it");
            assertEquals(404, request(http, "GET", "/health/x", TOKEN).statusCode());
        }
        try (AgentHttp closed = AgentHttp.start(agent, new java.net.InetSocketAddress("127.0.0.1", 0),
                AgentAccess.of(java.util.Set.of(), TOKEN))) {
            assertEquals(401, request(closed, "GET", "/metrics", null).statusCode(), "agent.api.open = none");
            assertEquals(401, request(closed, "GET", "/health", null).statusCode());
            assertEquals(200, request(closed, "GET", "/metrics", TOKEN).statusCode(), "a scrape with the token");
        }
        try (AgentHttp noToken = AgentHttp.start(agent, new java.net.InetSocketAddress("127.0.0.1", 0),
                AgentAccess.of(java.util.Set.of("health", "metrics"), null))) {
            HttpResponse<String> refused = request(noToken, "GET", "/jobs", TOKEN);
            assertEquals(401, refused.statusCode(), "no token configured: nothing protected is served");
            assertTrue(refused.body().contains("the agent has no token"), refused.body());
            assertEquals(200, request(noToken, "GET", "/health", null).statusCode());
        }
        assertThrows(IllegalArgumentException.class, () -> AgentAccess.of(java.util.Set.of("jobs"), TOKEN),
                "job details cannot be opened");
    }

    @Test
    void theTokenFileMustBePrivateAndHoldAToken() throws Exception {
        Path file = work.resolve("agent.token");
        Map<String, String> env = Map.of("CRYO_AGENT_TOKEN_FILE", file.toString(), "CRYO_AGENT_API_OPEN", "metrics");
        AgentAccess missing = AgentAccess.configured(env);
        assertFalse(missing.hasToken(), "no file: no token, and no error");
        assertTrue(missing.refusal("jobs", true, "Bearer " + TOKEN).orElseThrow().contains(file + " is missing"));
        Files.writeString(file, TOKEN + "\n", java.nio.file.StandardOpenOption.CREATE_NEW);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        AgentAccess access = AgentAccess.configured(env);
        assertTrue(access.refusal("jobs", true, "Bearer " + TOKEN).isEmpty(), "the file's token, its newline stripped");
        assertTrue(access.isOpen("metrics") && !access.isOpen("health"), "agent.api.open as configured");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(AgentAccess.configured(env).hasToken(), "0640: a console's service group may read it");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        java.io.IOException readable = assertThrows(java.io.IOException.class, () -> AgentAccess.configured(env));
        assertTrue(readable.getMessage().contains("readable or writable by others"), readable.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Path link = work.resolve("linked.token");
        Files.createSymbolicLink(link, file);
        assertThrows(java.io.IOException.class, () -> AgentAccess.readToken(link), "a link is not followed");
        Files.writeString(file, "short\n");
        assertThrows(IllegalArgumentException.class, () -> AgentAccess.readToken(file), "too short to be a token");
        assertThrows(IllegalArgumentException.class, () -> AgentAccess.configured(Map.of("CRYO_AGENT_TOKEN_FILE",
                work.resolve("none").toString(), "CRYO_AGENT_API_OPEN", "health, decisions")));
    }

    @Test
    void theCheckpointTimeIsMeasuredFromTheJobsCatalogAndExplained() throws Exception {
        NodeAgent none = agent("agent", false, work.resolve("journal0"));
        none.pollOnce();
        assertEquals(Duration.ofSeconds(60), none.checkpointTime().time(), "no checkpoint recorded: the configured value");
        assertTrue(none.checkpointTime().explanation().contains("job 31 60.0 s (configured: no checkpoint recorded)"),
                none.checkpointTime().explanation());
        JobControl control = new JobControl(new InMemoryScheduler(), Map.of(), Checkpointer.create(CryoHome.find().orElseThrow()),
                NodeExecutor.configured(Map.of()), ME);
        List<Long> taken = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            taken.add(control.checkpoint("31").millis());   // real checkpoints of the running job, filed in its catalog
        }
        List<Long> recorded = job.directory().checkpointMillis();
        assertEquals(4, recorded.size(), recorded.toString());
        for (int i = 0; i < 4; i++) {
            // the record is measured up to the commit, the caller's figure after it: never more
            assertTrue(recorded.get(i) > 0 && recorded.get(i) <= taken.get(i), "recorded " + recorded + ", taken " + taken);
        }
        long p95 = recorded.stream().mapToLong(Long::longValue).max().orElseThrow();   // nearest rank of 4: the largest

        NodeAgent agent = agent("agent", false, work.resolve("journal"));
        agent.pollOnce();
        CheckpointTime.Estimate estimate = agent.checkpointTime();
        assertTrue(estimate.measured(), estimate.toString());
        assertEquals(Duration.ofMillis(p95), estimate.time());
        assertTrue(estimate.explanation().contains("measured: job 31 ") && estimate.explanation().contains("p95 of 4 checkpoints"),
                estimate.explanation());
        try (AgentHttp http = AgentHttp.start(agent, new java.net.InetSocketAddress("127.0.0.1", 0),
                AgentAccess.of(java.util.Set.of("health", "metrics"), TOKEN))) {
            assertTrue(get(http, "/health", null).contains("\"measured\" : true"));
            assertTrue(get(http, "/metrics", null).contains("cryo_agent_checkpoint_time_seconds{node=\"" + NODE
                    + "\",measured=\"true\"} " + p95 / 1000.0));
        }

        java.io.StringWriter text = new java.io.StringWriter();
        int status = new picocli.CommandLine(new org.cryo.health.cli.HealthCommand()).setOut(new java.io.PrintWriter(text))
                .execute("--root", tree.root().toString(), "--no-state", "--explain", "--scheduler", InMemoryScheduler.NAME,
                        "--node", NODE, "--config", work.resolve("no-policy").toString());
        assertEquals(0, status, text.toString());
        assertTrue(text.toString().contains("checkpoint.time (the temperature trend's lead): " + CheckpointTime.seconds(
                Duration.ofMillis(p95)) + " measured: job 31"), text.toString());

        // the record is the job's user's to write: what is not Cryo's is refused, and the configured value stands
        Files.writeString(job.directory().path().resolve("durations"), "context.000001 1\nrm -rf /\n");
        CheckpointTime.Estimate refused = CheckpointTime.of(control, NODE, Duration.ofSeconds(60));
        assertEquals(Duration.ofSeconds(60), refused.time());
        assertTrue(refused.explanation().contains("configured: catalog not readable") && refused.explanation().contains(
                "not a duration record"), refused.explanation());
    }

    @Test
    void theNearestRankPercentileOfFewCheckpointsIsTheirLargest() {
        assertEquals(900, CheckpointTime.percentile(List.of(100L, 900L, 200L), 0.95));
        List<Long> hundred = new java.util.ArrayList<>();
        for (long i = 1; i <= 100; i++) {
            hundred.add(i * 10);
        }
        assertEquals(950, CheckpointTime.percentile(hundred, 0.95));
        assertEquals(Duration.ofSeconds(60), CheckpointTime.part("7", List.of(), Duration.ofSeconds(60)).time());
    }

    @Test
    void theAgentPollsOnItsScheduleAndActsWithinAPoll() throws Exception {
        try (NodeAgent agent = agent("agent", false, work.resolve("journal")).start(Duration.ofMillis(200))) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (agent.polls() < 3) {
                assertTrue(System.currentTimeMillis() < deadline, "the agent does not poll");
                Thread.sleep(50);
            }
            tree.hwmonTemp(0, 1, 95, 85, 95);
            while (agent.journal().recent().isEmpty()) {
                assertTrue(System.currentTimeMillis() < deadline, "no decision");
                Thread.sleep(50);
            }
            Decision decision = agent.journal().recent().get(0);
            assertEquals(Level.FAIL, decision.level());
            assertTrue(decision.jobs().get(0).outcome().startsWith("requeued (no context: reruns from the start)"),
                    decision.toString());
        }
    }

    private static String get(AgentHttp http, String path, String token) throws Exception {
        HttpResponse<String> response = request(http, "GET", path, token);
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private static HttpResponse<String> request(AgentHttp http, String method, String path, String token) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private int steps() {
        try {
            return (int) Files.readAllLines(work.resolve("progress.txt")).stream().filter(l -> l.startsWith("STEP ")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private void waitForSteps(int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (steps() < n) {
            if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                throw new AssertionError("the job did not reach step " + n + " (at " + steps() + ")");
            }
            Thread.sleep(50);
        }
    }
}
