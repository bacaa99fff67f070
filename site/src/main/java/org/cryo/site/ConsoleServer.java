package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cryo.health.InFlight;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * {@code cryo console}: the pages (from the jar), their JSON API, the activity stream and the
 * rendered documentation, on the JDK's HTTP server.  Every view and action needs a signed-in user
 * ({@link Authentication}); actions are POST only, with a JSON body, and, for the credentials a
 * browser sends by itself (cookie, proxy), the session's CSRF token in {@code X-Cryo-CSRF}; each
 * goes through the command line's own check ({@link Actions}) and into the audit log.
 */
public final class ConsoleServer implements AutoCloseable {
    static final String CSRF_HEADER = "X-Cryo-CSRF";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;
    private static final Map<String, String> STATIC = Map.of(
            "index.html", "text/html; charset=utf-8", "app.js", "text/javascript; charset=utf-8",
            "charts.js", "text/javascript; charset=utf-8", "style.css", "text/css; charset=utf-8",
            "docs.css", "text/css; charset=utf-8");

    private final ConsoleConfig config;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final ScheduledExecutorService ticks;
    private final Authentication auth;
    private final Activity activity = new Activity();
    private final ClusterState cluster;
    private final JobsView jobs;
    private final Actions actions;
    private final AuditLog audit;
    private final Docs docs;
    private final int keep;
    /** The job directories seen at the last poll, for the in-flight scan; and each one's latest file size. */
    private volatile Map<Path, String> directories = Map.of();
    private volatile Map<Path, Long> latestSizes = Map.of();
    private final Map<Path, Long> inFlightSince = new ConcurrentHashMap<>();
    /** The jobs the last progress events were about, for their "done". */
    private final Set<String> inFlightJobs = ConcurrentHashMap.newKeySet();
    /** Each job's last row of the jobs list, by job id: what a page is sorted and filtered on. */
    private final Map<String, CachedRow> rows = new ConcurrentHashMap<>();

    private record CachedRow(ObjectNode row) {
    }

    private ConsoleServer(ConsoleConfig config, HttpServer server) throws IOException {
        this.config = config;
        this.server = server;
        this.auth = new Authentication(config.jwt(), config.proxyHeader(), config.proxies(), new Sessions());
        this.cluster = new ClusterState(config.agents(), config.adapter(), config.policy(), activity);
        this.jobs = new JobsView(config.engine());
        this.actions = new Actions(cluster);
        this.audit = AuditLog.at(config.auditLog());
        this.docs = new Docs(config.docsRoot());
        this.keep = JobCatalog.keepFrom(config.environment());
        this.handlers = Executors.newFixedThreadPool(32, daemon("cryo-console-http"));
        this.ticks = Executors.newScheduledThreadPool(2, daemon("cryo-console-poll"));
    }

    /** Starts the console: the first poll of the agents runs before it answers. */
    public static ConsoleServer start(ConsoleConfig config) throws IOException {
        HttpServer server = HttpServer.create(config.listen(), 64);
        ConsoleServer console = new ConsoleServer(config, server);
        console.routes();
        console.refresh();
        server.setExecutor(console.handlers);
        server.start();
        long every = Math.max(200, config.poll().toMillis());
        console.ticks.scheduleWithFixedDelay(console::refresh, every, every, TimeUnit.MILLISECONDS);
        console.ticks.scheduleWithFixedDelay(console::progress, 1000, 1000, TimeUnit.MILLISECONDS);
        console.ticks.scheduleWithFixedDelay(console.activity::keepAlive, 15, 15, TimeUnit.SECONDS);
        return console;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    Path auditFile() {
        return audit.file();
    }

    @Override
    public void close() {
        ticks.shutdownNow();
        server.stop(0);
        handlers.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------ polling

    private void refresh() {
        try {
            cluster.poll();
            Map<Path, String> dirs = new HashMap<>();
            Map<Path, Long> sizes = new HashMap<>();
            JobControl reader = control("console");
            Map<String, JobStatus> listed = listedJobs();
            for (JobStatus job : listed.values()) {
                try {
                    var dir = reader.directory(job);
                    dirs.put(dir.path(), job.jobId());
                    var latest = dir.latest();
                    if (latest.isPresent()) {
                        sizes.put(dir.path(), java.nio.file.Files.size(latest.get()));
                    }
                } catch (IOException | RuntimeException skipped) {
                    // a catalog not readable has nothing in flight the console could show
                }
            }
            directories = dirs;
            latestSizes = sizes;
            warmRows(reader, listed);
        } catch (RuntimeException e) {
            System.err.println("cryo console: poll failed: " + e);
        }
    }

    /**
     * A progress event for each checkpoint in flight, once a second: as each node's agent
     * reports it (its last poll), and as this host's /proc shows it for a job no agent reports
     * (the console's own host); a last one ("done") for a job no longer seen.
     */
    private void progress() {
        long now = System.currentTimeMillis();
        Map<String, ObjectNode> events = new LinkedHashMap<>();
        cluster.inFlightByNode().forEach((node, reports) -> {
            for (JsonNode r : reports) {
                ObjectNode e = fromAgent(node, r);
                if (e != null) {
                    events.putIfAbsent(e.path("job").asText(), e);
                }
            }
        });
        Set<Path> seenHere = new java.util.HashSet<>();
        for (InFlight.Progress p : InFlight.scan(directories, latestSizes)) {
            seenHere.add(p.directory());
            long since = inFlightSince.computeIfAbsent(p.directory(), d -> now);
            if (!events.containsKey(p.jobId())) {
                events.put(p.jobId(), fromThisHost(p, since, now));
            }
        }
        inFlightSince.keySet().retainAll(seenHere);
        events.values().forEach(e -> activity.publish("progress", e));
        for (String job : Set.copyOf(inFlightJobs)) {
            if (!events.containsKey(job)) {
                activity.publish("progress", JSON.createObjectNode().put("job", job).put("state", "done"));
            }
        }
        inFlightJobs.retainAll(events.keySet());
        inFlightJobs.addAll(events.keySet());
    }

    /** An agent's report, checked field by field (an agent's answer is untrusted); null if it is not one. */
    static ObjectNode fromAgent(String node, JsonNode r) {
        String job = r.path("job").asText("");
        if (!r.isObject() || !job.matches("[A-Za-z0-9._\\[\\]-]{1,64}") || !r.path("written").canConvertToLong()
                || r.path("written").asLong() < 0 || r.path("elapsedMillis").asLong(-1) < 0) {
            return null;
        }
        ObjectNode e = JSON.createObjectNode().put("job", job).put("node", node).put("source", "agent")
                .put("state", "writing").put("written", r.path("written").asLong())
                .put("elapsedMillis", r.path("elapsedMillis").asLong());
        if (r.path("estimatedTotal").asLong(-1) > 0) {
            e.put("estimatedTotal", r.path("estimatedTotal").asLong());
        }
        if (r.path("bytesPerSecond").asLong(-1) > 0) {
            e.put("bytesPerSecond", r.path("bytesPerSecond").asLong());
        }
        if (r.path("leftMillis").asLong(-1) >= 0) {
            e.put("leftMillis", r.path("leftMillis").asLong());
        }
        return e;
    }

    /** What this host's /proc shows of a checkpoint no agent reports. */
    private static ObjectNode fromThisHost(InFlight.Progress p, long since, long now) {
        ObjectNode e = JSON.createObjectNode().put("job", p.jobId()).put("source", "console host").put("written", p.written())
                .put("state", "writing").put("elapsedMillis", now - since);
        if (p.estimatedTotal() > 0) {
            e.put("estimatedTotal", p.estimatedTotal());
            if (p.written() > 0 && now > since) {
                double rate = p.written() / (double) (now - since);
                e.put("bytesPerSecond", Math.round(rate * 1000));
                e.put("leftMillis", Math.max(0, (long) ((p.estimatedTotal() - p.written()) / rate)));
            }
        }
        return e;
    }

    private JobControl control(String user) {
        return new JobControl(config.adapter(), config.environment(), config.engine(), config.nodes(), user);
    }

    // ------------------------------------------------------------ routes

    private interface Handler {
        void handle(HttpExchange exchange, Identity who) throws Exception;
    }

    /** An answer other than 200: its status and one-line message. */
    private static final class Answer extends Exception {
        final int status;

        Answer(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private void routes() {
        server.createContext("/", this::staticFile);
        server.createContext("/api/login", e -> open(e, this::login));
        server.createContext("/api/logout", authenticated("POST", this::logout));
        server.createContext("/api/session", e -> open(e, this::session));
        server.createContext("/api/cluster", authenticated("GET", (e, who) -> json(e, 200, clusterJson())));
        server.createContext("/api/jobs", authenticated("GET", this::jobsRoute));
        server.createContext("/api/actions/", authenticated("POST", this::action));
        server.createContext("/api/activity", authenticated("GET", this::activityStream));
        server.createContext("/api/docs", authenticated("GET", (e, who) -> json(e, 200, docsList())));
        server.createContext("/docs", authenticated("GET", this::docsPage));
    }

    /** A route for signed-in users only, with one method. */
    private com.sun.net.httpserver.HttpHandler authenticated(String method, Handler handler) {
        return exchange -> open(exchange, e -> {
            if (!e.getRequestMethod().equals(method)) {
                throw new Answer(405, e.getRequestURI().getPath() + ": " + method + " only");
            }
            Identity who;
            try {
                who = auth.identify(e);
            } catch (Authentication.Unauthenticated u) {
                if (method.equals("POST")) {
                    audit.record(null, from(e), e.getRequestURI().getPath(), "", "refused: " + u.getMessage());
                }
                throw new Answer(401, u.getMessage());
            }
            handler.handle(e, who);
        });
    }

    private interface Open {
        void handle(HttpExchange exchange) throws Exception;
    }

    /** Every answer's headers, and every error as {"error": "one line"}. */
    private void open(HttpExchange exchange, Open handler) {
        try {
            securityHeaders(exchange);
            try {
                handler.handle(exchange);
            } catch (Answer a) {
                json(exchange, a.status, error(a.getMessage()));
            } catch (Exception e) {
                json(exchange, 500, error("internal error: " + e));
            }
        } catch (IOException gone) {
            // the client went away
        } finally {
            exchange.close();
        }
    }

    private static void securityHeaders(HttpExchange exchange) {
        var h = exchange.getResponseHeaders();
        h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
    }

    private void staticFile(HttpExchange e) throws IOException {
        try {
            securityHeaders(e);
            String path = e.getRequestURI().getPath();
            String name = path.equals("/") || path.equals("/index.html") || path.startsWith("/jobs")
                    || path.startsWith("/activity") || path.startsWith("/cluster") ? "index.html"
                    : path.startsWith("/static/") ? path.substring("/static/".length()) : null;
            String type = name == null ? null : STATIC.get(name);
            if (!e.getRequestMethod().equals("GET") || type == null) {
                json(e, 404, error("no such page: " + org.cryo.api.SafeText.escape(path)));
                return;
            }
            try (InputStream in = ConsoleServer.class.getResourceAsStream("web/" + name)) {
                if (in == null) {
                    json(e, 404, error("no such page: " + name));
                    return;
                }
                send(e, 200, type, in.readAllBytes());
            }
        } finally {
            e.close();
        }
    }

    // ------------------------------------------------------------ sign in

    private void login(HttpExchange e) throws Exception {
        if (!e.getRequestMethod().equals("POST")) {
            throw new Answer(405, "/api/login: POST only");
        }
        JsonNode body = body(e);
        String token = body.path("token").asText("").strip();
        if (token.startsWith("SLURM_JWT=")) {
            token = token.substring("SLURM_JWT=".length());   // as 'scontrol token' prints it
        }
        long now = System.currentTimeMillis() / 1000;
        String user;
        try {
            user = auth.verify(token, now);
        } catch (Authentication.Unauthenticated u) {
            throw new Answer(401, u.getMessage());
        }
        String id = auth.sessions().open(user, Authentication.expiryOf(token), now);
        e.getResponseHeaders().add("Set-Cookie", Sessions.COOKIE + "=" + id + "; Path=/; HttpOnly; SameSite=Strict");
        Identity who = new Identity(user, "session", id);
        json(e, 200, sessionJson(who));
    }

    private void logout(HttpExchange e, Identity who) throws Exception {
        if (who.session() != null) {
            auth.sessions().close(who.session());
        }
        e.getResponseHeaders().add("Set-Cookie", Sessions.COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        json(e, 200, JSON.createObjectNode().put("message", "signed out"));
    }

    /** Who is signed in; open to all, so that the page can offer to sign in (user null, and why). */
    private void session(HttpExchange e) throws Exception {
        if (!e.getRequestMethod().equals("GET")) {
            throw new Answer(405, "/api/session: GET only");
        }
        try {
            json(e, 200, sessionJson(auth.identify(e)));
        } catch (Authentication.Unauthenticated u) {
            json(e, 200, JSON.createObjectNode().putNull("user").put("signIn", u.getMessage()));
        }
    }

    private ObjectNode sessionJson(Identity who) throws SchedulerException {
        ObjectNode s = JSON.createObjectNode();
        s.put("user", who.user());
        s.put("auth", who.how());
        s.put("privileged", control(who.user()).permissions().privileged());
        s.put("csrf", auth.sessions().csrfToken(who));
        s.put("scheduler", config.adapter().scheduler());
        return s;
    }

    // ------------------------------------------------------------ views

    ObjectNode clusterJson() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        cluster.jobsByNode().forEach((node, list) -> counts.put(node, list.size()));
        return cluster.clusterJson(counts);
    }

    private void jobsRoute(HttpExchange e, Identity who) throws Exception {
        String path = e.getRequestURI().getPath();
        if (path.equals("/api/jobs") || path.equals("/api/jobs/")) {
            try {
                json(e, 200, jobsJson(JobsPage.parse(e.getRequestURI().getRawQuery())));
            } catch (JobsPage.BadQuery bad) {
                throw new Answer(400, bad.getMessage());
            }
            return;
        }
        String[] parts = path.split("/");
        if (parts.length == 5 && parts[4].equals("checkpoints")) {
            json(e, 200, checkpointsOf(parts[3], who));
            return;
        }
        throw new Answer(404, "no such resource: " + org.cryo.api.SafeText.escape(path));
    }

    /**
     * One page of the jobs list: every job the scheduler lists now, sorted and filtered on its
     * row as the last poll made it (a job new since then gets its row now), and the page's rows
     * made afresh, so that what the page shows is current and a thousand jobs cost a poll, not a
     * request.
     */
    private ObjectNode jobsJson(JobsPage.Query query) {
        JobControl reader = control("console");
        List<JsonNode> decisions = cluster.decisions();
        long now = System.currentTimeMillis();
        Map<String, JobStatus> listed = listedJobs();
        List<JsonNode> all = new java.util.ArrayList<>();
        for (JobStatus job : listed.values()) {
            CachedRow cached = rows.get(job.jobId());
            all.add(cached != null ? cached.row() : cache(job, jobs.jobJson(reader, job, decisions, now)));
        }
        List<JsonNode> matched = JobsPage.select(all, query, now);
        List<ObjectNode> page = new java.util.ArrayList<>();
        int from = Math.min(query.offset(), matched.size());
        int to = (int) Math.min(matched.size(), (long) from + query.limit());
        for (JsonNode row : matched.subList(from, to)) {
            JobStatus job = listed.get(row.path("job").asText());
            page.add(cache(job, jobs.jobJson(reader, job, decisions, now)));
        }
        return JobsPage.answer(JSON, query, listed.size(), matched, page);
    }

    /** Every job the scheduler lists on the console's nodes, once each, by id. */
    private Map<String, JobStatus> listedJobs() {
        Map<String, JobStatus> listed = new LinkedHashMap<>();
        for (List<JobStatus> list : cluster.jobsByNode().values()) {
            for (JobStatus job : list) {
                listed.putIfAbsent(job.jobId(), job);
            }
        }
        return listed;
    }

    private ObjectNode cache(JobStatus job, ObjectNode row) {
        rows.put(job.jobId(), new CachedRow(row));
        return row;
    }

    /** The poll's part: every listed job's row made again, and the rows of jobs no longer listed dropped. */
    private void warmRows(JobControl reader, Map<String, JobStatus> listed) {
        List<JsonNode> decisions = cluster.decisions();
        long now = System.currentTimeMillis();
        for (JobStatus job : listed.values()) {
            cache(job, jobs.jobJson(reader, job, decisions, now));
        }
        rows.keySet().retainAll(listed.keySet());
    }

    /** A job's checkpoints: for those who may act on the job only (the files show its command line and files). */
    private ObjectNode checkpointsOf(String jobId, Identity who) throws Exception {
        if (!jobId.matches("[A-Za-z0-9._\\[\\]-]{1,64}")) {
            throw new Answer(400, "not a job id: '" + org.cryo.api.SafeText.escape(jobId) + "'");
        }
        JobControl control = control(who.user());
        JobStatus job;
        try {
            job = control.job(jobId);
        } catch (SchedulerException | IllegalArgumentException unknown) {
            throw new Answer(404, unknown.getMessage());
        }
        try {
            control.permissions().ensureMayControl(job);
            return jobs.checkpointsJson(control, job, keep);
        } catch (SchedulerException refused) {
            throw new Answer(refused.getMessage().startsWith("permission denied") ? 403 : 409, refused.getMessage());
        }
    }

    private ObjectNode docsList() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode pages = root.putArray("pages");
        docs.names().forEach(pages::add);
        return root;
    }

    private void docsPage(HttpExchange e, Identity who) throws Exception {
        String path = e.getRequestURI().getPath();
        if (path.startsWith("/docs/images/")) {
            var png = docs.image(path.substring("/docs/images/".length()));
            if (png.isEmpty()) {
                throw new Answer(404, "no such picture: " + org.cryo.api.SafeText.escape(path));
            }
            send(e, 200, "image/png", png.get());
            return;
        }
        String name = path.equals("/docs") || path.equals("/docs/") ? "README" : path.substring("/docs/".length());
        var html = docs.render(name);
        if (html.isEmpty()) {
            throw new Answer(404, "no such document: " + org.cryo.api.SafeText.escape(name));
        }
        StringBuilder page = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Cryo: " + name
                + "</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/docs.css\"></head><body><nav><a href=\"/\">Console</a>");
        for (String other : docs.names()) {
            page.append(" <a href=\"/docs/").append(other).append("\">").append(other).append("</a>");
        }
        page.append("</nav><main>").append(html.get()).append("</main></body></html>");
        send(e, 200, "text/html; charset=utf-8", page.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------ actions

    private void action(HttpExchange e, Identity who) throws Exception {
        String name = e.getRequestURI().getPath().substring("/api/actions/".length());
        String from = from(e);
        if (who.ambient() && !auth.sessions().csrfMatches(who, e.getRequestHeaders().getFirst(CSRF_HEADER))) {
            audit.record(who, from, name, "", "refused: no CSRF token");
            throw new Answer(403, "refused: the request lacks this session's " + CSRF_HEADER + " token (reload the page)");
        }
        JsonNode body;
        String target;
        try {
            body = body(e);
            target = actions.target(name, body);
        } catch (Actions.BadRequest | Answer bad) {
            audit.record(who, from, name, "", "refused: " + bad.getMessage());
            throw bad instanceof Answer a ? a : new Answer(400, bad.getMessage());
        }
        activity.publish("action", JSON.createObjectNode().put("at", Instant.now().toString()).put("user", who.user())
                .put("action", name).put("target", target).put("state", "running"));
        try {
            ObjectNode result = actions.run(control(who.user()), name, body);
            audit.record(who, from, name, target, "done: " + result.path("message").asText());
            activity.publish("action", JSON.createObjectNode().put("at", Instant.now().toString()).put("user", who.user())
                    .put("action", name).put("target", target).put("state", "done")
                    .put("message", result.path("message").asText()));
            json(e, 200, result);
        } catch (SchedulerException | IllegalArgumentException refused) {
            boolean denied = String.valueOf(refused.getMessage()).startsWith("permission denied");
            audit.record(who, from, name, target, (denied ? "refused: " : "failed: ") + refused.getMessage());
            activity.publish("action", JSON.createObjectNode().put("at", Instant.now().toString()).put("user", who.user())
                    .put("action", name).put("target", target).put("state", denied ? "refused" : "failed")
                    .put("message", refused.getMessage()));
            throw new Answer(denied ? 403 : 409, refused.getMessage());
        }
    }

    private void activityStream(HttpExchange e, Identity who) throws IOException {
        e.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        e.sendResponseHeaders(200, 0);
        OutputStream out = e.getResponseBody();
        activity.listen(out);
        // the handler's thread holds the stream until the page goes away (Activity drops it then)
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(1000);
                synchronized (out) {
                    out.flush();
                }
            } catch (InterruptedException stop) {
                return;
            } catch (IOException gone) {
                return;
            }
        }
    }

    // ------------------------------------------------------------ plumbing

    private static String from(HttpExchange e) {
        return e.getRemoteAddress().getAddress().getHostAddress();
    }

    private static JsonNode body(HttpExchange e) throws Answer, IOException {
        String type = e.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new Answer(415, "send the request as application/json");
        }
        byte[] bytes = e.getRequestBody().readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
            throw new Answer(413, "request body over " + MAX_BODY + " bytes");
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new Answer(400, "the request body is not a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
            throw new Answer(400, "the request body is not JSON: " + bad.getOriginalMessage());
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message == null ? "failed" : message.replace('\n', ' '));
    }

    private static void json(HttpExchange e, int status, JsonNode body) throws IOException {
        send(e, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange e, int status, String type, byte[] bytes) throws IOException {
        e.getResponseHeaders().set("Content-Type", type);
        e.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(bytes);
        }
    }
}
