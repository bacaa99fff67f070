package org.cryo.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's JSON API over two real agents (fixture sysfs trees) and a real job (the counting
 * job, checkpointed by the engine): its shapes, its errors, who may see and do what (the command
 * line's own check), CSRF, and the audit log.  Owner of job 7: "nobody"; "alice" is nobody's
 * operator, "oper" is the scheduler's.
 */
class ConsoleApiTest {
    @TempDir
    Path work;
    private ConsoleFixture fixture;
    private Process process;
    private JobDirectory seven;

    @BeforeEach
    void aConsoleOverTwoNodesWithAJob() throws Exception {
        fixture = new ConsoleFixture(work, 2, Set.of(InetAddress.getLoopbackAddress()));
        fixture.scheduler.operators.add("oper");
        Path catalog = Files.createDirectories(work.resolve("catalog"));
        fixture.scheduler.add("7", "nobody", "n1", catalog);
        seven = JobCatalog.at(catalog, Map.of()).job("7", "nobody").create();
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        fixture.close();
    }

    @Test
    void everyViewAndActionNeedsAUserAndSaysHowToSignIn() throws Exception {
        for (String path : List.of("/api/cluster", "/api/jobs", "/api/jobs/7/checkpoints", "/api/activity", "/api/docs",
                "/docs/README")) {
            HttpResponse<String> r = fixture.get(path, null);
            assertEquals(401, r.statusCode(), path);
            assertTrue(ConsoleFixture.json(r).path("error").asText().contains("scontrol token"), r.body());
        }
        HttpResponse<String> action = fixture.post("/api/actions/disable", null, "{\"job\":\"7\"}");
        assertEquals(401, action.statusCode());
        assertFalse(seven.isDisabled(), "nothing changed");
        assertTrue(Files.readString(fixture.audit).contains("\"auth\":\"none\""), "the refusal is audited");
        assertEquals(200, fixture.get("/", null).statusCode(), "the page itself loads, to sign in");
        JsonNode nobody = ConsoleFixture.json(fixture.get("/api/session", null));
        assertTrue(nobody.path("user").isNull(), nobody.toString());
        assertTrue(nobody.path("signIn").asText().contains("scontrol token"), nobody.toString());
    }

    @Test
    void forgedExpiredAndUnsignedTokensAreRefusedByName() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String expired = fixture.jwt.issue("root", now - 1000, 10);
        SlurmJwt other = new SlurmJwt(new byte[32]);
        String forged = other.issue("root", now, 600);
        String[] parts = fixture.token("root").split("\\.");
        String none = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + ".";
        Map<String, String> expected = Map.of(expired, "expired", forged, "does not match", none, "only HS256",
                "garbage", "not a JWT");
        for (var e : expected.entrySet()) {
            HttpResponse<String> r = fixture.send(HttpRequest.newBuilder(fixture.uri("/api/cluster"))
                    .header("Authorization", "Bearer " + e.getKey()).GET().build());
            assertEquals(401, r.statusCode());
            assertTrue(r.body().contains(e.getValue()), r.body());
        }
    }

    @Test
    void theClusterShowsEveryNodeWithItsLevelAndChartsAgainstThePolicysLimits() throws Exception {
        fixture.trees.get(0).edacDimm(0, 0, 300, 0);
        fixture.agents.get(0).pollOnce();
        JsonNode n1 = pollCluster(c -> c.path("nodes").get(0).path("level").asText().equals("evacuate")).path("nodes").get(0);
        JsonNode cluster = ConsoleFixture.json(fixture.get("/api/cluster", "alice"));
        assertEquals("fixture", cluster.path("scheduler").asText());
        assertEquals(2, cluster.path("nodes").size());
        assertEquals("n2", cluster.path("nodes").get(1).path("node").asText());
        assertEquals("ok", cluster.path("nodes").get(1).path("level").asText());
        assertTrue(n1.path("atRisk").asBoolean(), n1.toString());
        assertEquals(1, n1.path("jobs").asInt());
        assertEquals("mixed", n1.path("scheduler").path("state").asText(), "the scheduler's state, from the SPI");
        assertEquals("UP", n1.path("scheduler").path("native").asText(), n1.toString());
        assertEquals("idle", cluster.path("nodes").get(1).path("scheduler").path("state").asText());
        assertTrue(n1.path("findings").get(0).path("precursor").asText().contains("ECC"), n1.toString());
        JsonNode ecc = null;
        for (JsonNode s : n1.path("series")) {
            if (s.path("signal").asText().equals("memory.corrected")) {
                ecc = s;
            }
        }
        assertTrue(ecc != null, n1.toString());
        assertEquals(200, ecc.path("limits").path("evacuate").asInt());
        assertEquals(50, ecc.path("limits").path("warn").asInt());
        assertTrue(ecc.path("samples").size() >= 1);
        assertEquals(200, cluster.path("policy").path("counters").path("memory.corrected").path("evacuate").asInt());
    }

    private JsonNode pollCluster(java.util.function.Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode cluster;
        do {
            cluster = ConsoleFixture.json(fixture.get("/api/cluster", "alice"));
            if (done.test(cluster)) {
                return cluster;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("not seen within 60 s: " + cluster);
    }

    @Test
    void aJobShowsItsOwnerNodeAndLatestCheckpointAndOnlyItsOwnerOrAnOperatorSeesTheFiles() throws Exception {
        Path file = aRealCheckpointOfSeven();
        JsonNode jobs = ConsoleFixture.json(fixture.get("/api/jobs", "alice")).path("jobs");
        assertEquals(1, jobs.size(), jobs.toString());
        JsonNode job = jobs.get(0);
        assertEquals("7", job.path("job").asText());
        assertEquals("nobody", job.path("owner").asText());
        assertEquals("n1", job.path("node").asText());
        assertEquals(1, job.path("checkpoints").asInt());
        assertEquals(Files.size(file), job.path("latest").path("bytes").asLong());
        assertTrue(job.path("latest").path("ageSeconds").asLong() >= 0);
        assertTrue(job.path("checkpointable").asBoolean(), job.toString());

        HttpResponse<String> refused = fixture.get("/api/jobs/7/checkpoints", "alice");
        assertEquals(403, refused.statusCode());
        assertTrue(refused.body().contains("permission denied: job 7"), refused.body());
        for (String who : List.of("nobody", "oper", "root")) {
            JsonNode c = ConsoleFixture.json(fixture.get("/api/jobs/7/checkpoints", who));
            assertEquals(file.getFileName().toString(), c.path("restartUses").asText(), c.toString());
            assertEquals(3, c.path("keep").asInt());
            JsonNode info = c.path("checkpoints").get(0).path("info");
            assertEquals("python3", info.path("processes").get(0).path("command").asText(), info.toString());
            assertTrue(info.path("processes").get(0).path("memoryByKind").size() > 0, info.toString());
            assertTrue(info.path("commandLine").asText().contains("counting_job.py"), info.toString());
        }
        assertEquals(404, fixture.get("/api/jobs/99/checkpoints", "root").statusCode());
        assertEquals(400, fixture.get("/api/jobs/a%20b/checkpoints", "root").statusCode());
    }

    @Test
    void aJobShowsItsRecordedIntervalRestartsAndWhereItRanFromItsCatalog() throws Exception {
        seven.recordInterval(java.time.Duration.ofSeconds(90));
        java.time.Instant t = java.time.Instant.parse("2026-12-01T23:00:00Z");
        seven.recordMove(new org.cryo.scheduler.JobMove(t, "n1", "n2", org.cryo.scheduler.JobMove.Reason.HEALTH, "context.000002"));
        seven.recordMove(new org.cryo.scheduler.JobMove(t.plusSeconds(60), "n2", "n1", org.cryo.scheduler.JobMove.Reason.MIGRATED,
                "context.000004"));
        Files.writeString(seven.path().resolve("moves"), "2026-12-01T23:02:00Z n1 <script> failed -\n",
                java.nio.file.StandardOpenOption.APPEND);   // the job's user can write it: not a move, left out
        JsonNode job = ConsoleFixture.json(fixture.get("/api/jobs", "alice")).path("jobs").get(0);
        assertEquals(90.0, job.path("intervalSeconds").asDouble(), job.toString());
        assertEquals("recorded", job.path("intervalSource").asText());
        assertEquals(2, job.path("restarts").asInt());
        assertEquals(List.of("n1", "n2", "n1"), ConsoleFixture.JSON.convertValue(job.path("ranOn"), List.class));
        JsonNode first = job.path("moves").get(0);
        assertEquals("2026-12-01T23:00:00Z", first.path("at").asText());
        assertEquals("health", first.path("reason").asText());
        assertEquals("context.000002", first.path("context").asText());
        assertEquals("migrated", job.path("moves").get(1).path("reason").asText());
        JsonNode page = ConsoleFixture.json(fixture.get("/api/jobs/7/checkpoints", "nobody"));
        assertEquals(2, page.path("moves").size(), page.toString());
        assertEquals(90.0, page.path("intervalSeconds").asDouble());
    }

    @Test
    void theJobsListIsFilteredSortedAndPagedByTheServer() throws Exception {
        Path catalog = work.resolve("catalog");
        for (int i = 1; i <= 120; i++) {
            fixture.scheduler.add(Integer.toString(100 + i), i % 2 == 0 ? "nobody" : "root", i % 3 == 0 ? "n2" : "n1", catalog);
        }
        JobCatalog.at(catalog, Map.of()).job("150", "nobody").create().recordMove(new org.cryo.scheduler.JobMove(
                java.time.Instant.now(), "n1", "n2", org.cryo.scheduler.JobMove.Reason.FAILED, "-"));
        JsonNode first = ConsoleFixture.json(fixture.get("/api/jobs", "alice"));
        assertEquals(121, first.path("total").asInt(), "job 7 and the 120");
        assertEquals(121, first.path("matched").asInt());
        assertEquals(JobsPage.DEFAULT_LIMIT, first.path("jobs").size(), "the first page only");
        assertEquals("7", first.path("jobs").get(0).path("job").asText(), "by job id, as numbers: 7 before 101");
        assertEquals("101", first.path("jobs").get(1).path("job").asText());

        JsonNode page = ConsoleFixture.json(fixture.get("/api/jobs?offset=110&limit=20&sort=job&order=desc", "alice"));
        assertEquals(11, page.path("jobs").size(), "the last 11 of 121");
        assertEquals("7", page.path("jobs").get(10).path("job").asText());
        assertEquals("desc", page.path("order").asText());

        JsonNode rootOnN2 = ConsoleFixture.json(fixture.get("/api/jobs?filter=ROOT%20n2&limit=1000", "alice"));
        assertEquals(20, rootOnN2.path("matched").asInt(), "odd i, multiple of 3: 20 of 120");
        for (JsonNode j : rootOnN2.path("jobs")) {
            assertEquals("root", j.path("owner").asText());
            assertEquals("n2", j.path("node").asText());
        }
        assertEquals("root n2", rootOnN2.path("filter").asText());

        JsonNode restarts = ConsoleFixture.json(fixture.get("/api/jobs?sort=restarts&order=desc&limit=1", "alice"));
        assertEquals("150", restarts.path("jobs").get(0).path("job").asText(), "the one job with a restart first");

        for (String bad : List.of("?limit=0", "?limit=1001", "?offset=-1", "?sort=password", "?order=up", "?page=2",
                "?limit=1&limit=2", "?filter=" + "x".repeat(201))) {
            HttpResponse<String> r = fixture.get("/api/jobs" + bad, "alice");
            assertEquals(400, r.statusCode(), bad);
            assertTrue(ConsoleFixture.json(r).path("error").asText().length() > 10, r.body());
        }
    }

    /** Job 7 runs the counting job; the engine checkpoints it into the job's catalog. */
    private Path aRealCheckpointOfSeven() throws Exception {
        process = fixture.checkpointedCountingJob(seven, work);
        return seven.latest().orElseThrow();
    }

    @Test
    void actionsAreAllowedExactlyAsOnTheCommandLineAndEachIsAudited() throws Exception {
        HttpResponse<String> refused = fixture.post("/api/actions/disable", "alice", "{\"job\":\"7\"}");
        assertEquals(403, refused.statusCode());
        assertTrue(ConsoleFixture.json(refused).path("error").asText().startsWith("permission denied: job 7"), refused.body());
        assertFalse(seven.isDisabled(), "refused: nothing changed");

        assertEquals(200, fixture.post("/api/actions/disable", "nobody", "{\"job\":\"7\"}").statusCode());
        assertTrue(seven.isDisabled(), "the owner disabled its checkpoints");
        assertEquals(200, fixture.post("/api/actions/enable", "oper", "{\"job\":\"7\"}").statusCode());
        assertFalse(seven.isDisabled(), "an operator enabled them again");

        HttpResponse<String> drain = fixture.post("/api/actions/drain", "nobody", "{\"node\":\"n2\"}");
        assertEquals(403, drain.statusCode(), "a job's owner may not drain its node");
        assertTrue(drain.body().contains("only root or a fixture operator may drain node n2"), drain.body());
        assertEquals(List.of(), fixture.scheduler.events);
        assertEquals(200, fixture.post("/api/actions/drain", "oper", "{\"node\":\"n2\",\"reason\":\"fan\"}").statusCode());
        JsonNode n2 = pollCluster(c -> c.path("nodes").get(1).path("scheduler").path("state").asText().equals("drained"))
                .path("nodes").get(1);
        assertEquals("DRAIN", n2.path("scheduler").path("native").asText(), n2.toString());
        assertEquals("fan by oper", n2.path("scheduler").path("reason").asText(), "the scheduler's reason");
        assertTrue(n2.path("drained").asBoolean(), n2.toString());
        assertEquals(200, fixture.post("/api/actions/resume", "root", "{\"node\":\"n2\"}").statusCode());
        n2 = pollCluster(c -> c.path("nodes").get(1).path("scheduler").path("state").asText().equals("idle")).path("nodes").get(1);
        assertFalse(n2.path("drained").asBoolean(), n2.toString());
        assertEquals(List.of("drain n2: fan by oper", "resume n2"), fixture.scheduler.events);

        List<String> audit = Files.readAllLines(fixture.audit);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fixture.audit)));
        assertTrue(audit.stream().anyMatch(l -> l.contains("\"user\":\"alice\"") && l.contains("\"action\":\"disable\"")
                && l.contains("refused: permission denied")), audit.toString());
        assertTrue(audit.stream().anyMatch(l -> l.contains("\"user\":\"oper\"") && l.contains("\"action\":\"drain\"")
                && l.contains("done: node n2 drained")), audit.toString());
    }

    @Test
    void badRequestsAreRefusedWithTheirReason() throws Exception {
        assertEquals(405, fixture.get("/api/actions/drain", "root").statusCode());
        HttpResponse<String> unknown = fixture.post("/api/actions/reboot", "root", "{\"node\":\"n1\"}");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("no such action"), unknown.body());
        HttpResponse<String> noNode = fixture.post("/api/actions/drain", "root", "{\"node\":\"elsewhere\"}");
        assertEquals(400, noNode.statusCode());
        assertTrue(noNode.body().contains("n1, n2"), noNode.body());
        HttpResponse<String> form = fixture.send(HttpRequest.newBuilder(fixture.uri("/api/actions/disable"))
                .header("Authorization", "Bearer " + fixture.token("root"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("job=7")).build());
        assertEquals(415, form.statusCode(), "a cross-site form cannot post an action");
        assertEquals(404, fixture.get("/static/../pom.xml", "root").statusCode());
        assertEquals(List.of(), fixture.scheduler.events);
    }

    @Test
    void aSessionCookieActsOnlyWithItsCsrfToken() throws Exception {
        HttpResponse<String> login = fixture.post("/api/login", null, "{\"token\":\"SLURM_JWT=" + fixture.token("nobody") + "\"}");
        assertEquals(200, login.statusCode(), login.body());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String session = cookie.substring(0, cookie.indexOf(';'));
        String csrf = ConsoleFixture.json(login).path("csrf").asText();

        HttpRequest.Builder disable = HttpRequest.newBuilder(fixture.uri("/api/actions/disable")).header("Cookie", session)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"job\":\"7\"}"));
        HttpResponse<String> noToken = fixture.send(disable.build());
        assertEquals(403, noToken.statusCode());
        assertTrue(noToken.body().contains("X-Cryo-CSRF"), noToken.body());
        HttpResponse<String> wrongToken = fixture.send(disable.copy().header("X-Cryo-CSRF", csrf + "x").build());
        assertEquals(403, wrongToken.statusCode());
        assertFalse(seven.isDisabled(), "no action without the token");
        HttpResponse<String> done = fixture.send(disable.copy().header("X-Cryo-CSRF", csrf).build());
        assertEquals(200, done.statusCode(), done.body());
        assertTrue(seven.isDisabled());
        JsonNode me = ConsoleFixture.json(fixture.send(HttpRequest.newBuilder(fixture.uri("/api/session"))
                .header("Cookie", session).GET().build()));
        assertEquals("nobody", me.path("user").asText());
        assertFalse(me.path("privileged").asBoolean());
    }

    @Test
    void theProxysUserHeaderCountsOnlyFromTheProxy() throws Exception {
        HttpResponse<String> viaProxy = fixture.send(HttpRequest.newBuilder(fixture.uri("/api/session"))
                .header("X-Remote-User", "oper").GET().build());
        assertEquals(200, viaProxy.statusCode(), viaProxy.body());
        assertEquals("proxy", ConsoleFixture.json(viaProxy).path("auth").asText());
        assertTrue(ConsoleFixture.json(viaProxy).path("privileged").asBoolean());
        try (ConsoleFixture elsewhere = new ConsoleFixture(work.resolve("other"), 1,
                Set.of(InetAddress.getByName("192.0.2.1")))) {
            HttpResponse<String> notTrusted = elsewhere.send(HttpRequest.newBuilder(elsewhere.uri("/api/cluster"))
                    .header("X-Remote-User", "root").GET().build());
            assertEquals(401, notTrusted.statusCode(), "the header from an address not the proxy's is ignored");
        }
    }

    @Test
    void theActivityStreamSendsEachActionAsItHappens() throws Exception {
        HttpRequest stream = HttpRequest.newBuilder(fixture.uri("/api/activity"))
                .header("Authorization", "Bearer " + fixture.token("root")).GET().build();
        HttpResponse<java.io.InputStream> events = fixture.http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals("text/event-stream; charset=utf-8", events.headers().firstValue("Content-Type").orElse(""));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
            assertEquals(200, fixture.post("/api/actions/drain", "root", "{\"node\":\"n1\"}").statusCode());
            String line;
            boolean running = false;
            boolean done = false;
            while (!(running && done) && (line = in.readLine()) != null) {
                running |= line.startsWith("data: ") && line.contains("\"state\":\"running\"") && line.contains("node n1");
                done |= line.startsWith("data: ") && line.contains("\"state\":\"done\"") && line.contains("node n1 drained");
            }
            assertTrue(running && done);
        }
    }

    @Test
    void aCheckpointInFlightOnANodeIsReportedByItsAgentAndSentOnTheActivityStream() throws Exception {
        Path previous = seven.nextContext();
        Files.write(previous, new byte[50_000]);
        seven.commit(previous);
        Path ready = work.resolve("ready");
        // the engine's helper's name, writing a nameless file into the job's directory as the engine does
        String writer = "import ctypes, os, sys, time\n"
                + "ctypes.CDLL(None).prctl(15, b'cryo-engine', 0, 0, 0)\n"
                + "fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY, 0o600)\n"
                + "os.write(fd, b'x' * 12345)\n"
                + "open(sys.argv[2], 'w').close()\n"
                + "time.sleep(120)\n";
        process = new ProcessBuilder("/usr/bin/python3", "-c", writer, seven.path().toString(), ready.toString())
                .redirectErrorStream(true).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ready) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        URI agent = fixture.agentUri(0);
        HttpResponse<String> anonymous = fixture.send(HttpRequest.newBuilder(agent.resolve("/inflight")).GET().build());
        assertEquals(401, anonymous.statusCode(), "it names jobs: the agents' token only");
        JsonNode reported = ConsoleFixture.json(fixture.send(HttpRequest.newBuilder(agent.resolve("/inflight"))
                .header("Authorization", "Bearer " + ConsoleFixture.AGENT_TOKEN).GET().build()));
        assertEquals(1, reported.size(), reported.toString());
        assertEquals("7", reported.get(0).path("job").asText());
        assertEquals(12345, reported.get(0).path("written").asLong());
        assertEquals(50_000, reported.get(0).path("estimatedTotal").asLong(), "the previous context file's size");
        assertTrue(reported.get(0).has("bytesPerSecond") && reported.get(0).has("leftMillis"), reported.toString());

        HttpRequest stream = HttpRequest.newBuilder(fixture.uri("/api/activity"))
                .header("Authorization", "Bearer " + fixture.token("root")).GET().build();
        HttpResponse<java.io.InputStream> events = fixture.http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
            String line;
            JsonNode progress = null;
            while (progress == null && (line = in.readLine()) != null) {
                // this host's /proc shows it too, until the agent's report arrives with the next poll
                if (line.startsWith("data: ") && line.contains("\"written\"") && line.contains("\"source\":\"agent\"")) {
                    progress = ConsoleFixture.JSON.readTree(line.substring("data: ".length()));
                }
            }
            assertTrue(progress != null, "a progress event from the agent");
            assertEquals("7", progress.path("job").asText());
            assertEquals("n1", progress.path("node").asText(), "the node whose agent reported it");
            assertEquals("agent", progress.path("source").asText(), progress.toString());
            assertEquals(12345, progress.path("written").asLong());
            assertEquals(50_000, progress.path("estimatedTotal").asLong());
        }
    }

    @Test
    void theDocsAreTheRepositorysMarkdownRenderedWithItsHtmlEscaped() throws Exception {
        HttpResponse<String> readme = fixture.get("/docs/README", "alice");
        assertEquals(200, readme.statusCode());
        assertTrue(readme.body().contains("<h1>Cryo</h1>"), readme.body().substring(0, 400));
        assertTrue(readme.body().contains("<table>"), "tables are rendered");
        JsonNode list = ConsoleFixture.json(fixture.get("/api/docs", "alice"));
        assertTrue(list.toString().contains("docs-FORMAT"), list.toString());
        assertEquals(404, fixture.get("/docs/..%2Fpom", "alice").statusCode());
    }

}
