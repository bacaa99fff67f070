package org.cryo.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * The agent's local HTTP API (read-only, GET): {@code /health} (level, findings, missing
 * sources, notices), {@code /decisions} (the last ones, as journaled), {@code /jobs} (the node's
 * jobs and their context files), {@code /inflight} (its checkpoints being written) as JSON, and
 * {@code /metrics} in Prometheus' text format.  Binds
 * to the loopback address unless told otherwise; what answers without the bearer token is the
 * site's choice ({@link AgentAccess}): by default {@code /health} and {@code /metrics} only.
 */
public final class AgentHttp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeAgent agent;
    private final HttpServer server;
    private final AgentAccess access;
    private final InFlightCheckpoints inFlightCheckpoints = new InFlightCheckpoints();

    private AgentHttp(NodeAgent agent, HttpServer server, AgentAccess access) {
        this.agent = agent;
        this.server = server;
        this.access = access;
    }

    public static AgentHttp start(NodeAgent agent, InetSocketAddress address, AgentAccess access) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AgentHttp http = new AgentHttp(agent, server, access);
        server.createContext("/", e -> http.answer(e, "application/json", "", () -> ""));
        server.createContext("/health", e -> http.answer(e, "application/json", "health", http::health));
        server.createContext("/decisions", e -> http.answer(e, "application/json", "decisions", http::decisions));
        server.createContext("/jobs", e -> http.answer(e, "application/json", "jobs", http::jobs));
        server.createContext("/inflight", e -> http.answer(e, "application/json", "inflight", http::inFlight));
        server.createContext("/metrics", e -> http.answer(e, "text/plain; version=0.0.4", "metrics", () -> Metrics.render(agent)));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cryo-agent-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return http;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    interface Body {
        String get() throws Exception;
    }

    /** The token is checked before anything is read: a refused request learns nothing but that it was refused. */
    private void answer(HttpExchange exchange, String type, String endpoint, Body body) throws IOException {
        int status = 200;
        String text;
        boolean get = exchange.getRequestMethod().equals("GET");
        java.util.Optional<String> refused = access.refusal(endpoint, get,
                exchange.getRequestHeaders().getFirst("Authorization"));
        if (refused.isPresent()) {
            status = 401;
            type = "application/json";
            text = error(refused.get());
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"cryo-agent\""
                    + (exchange.getRequestHeaders().containsKey("Authorization") ? ", error=\"invalid_token\"" : ""));
        } else if (!get) {
            status = 405;
            text = error("GET only");
        } else if (endpoint.isEmpty() || !exchange.getRequestURI().getPath().equals("/" + endpoint)) {
            status = 404;
            type = "application/json";
            text = error("no such endpoint (/health, /decisions, /jobs, /inflight, /metrics)");
        } else {
            try {
                text = body.get();
            } catch (Exception e) {
                status = 500;
                text = error(String.valueOf(e.getMessage()));
            }
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String error(String message) throws IOException {
        return "{\"error\":" + JSON.writeValueAsString(message) + "}";
    }

    String health() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        NodeHealth health = agent.health();
        Verdict verdict = health.last();
        root.put("node", agent.actions().node());
        root.put("dryRun", agent.actions().dryRun());
        root.put("polls", agent.polls());
        root.put("level", verdict == null ? "unknown" : verdict.level().label());
        root.put("acted", agent.actions().acted().label());
        root.put("pendingRetries", agent.actions().failures());
        CheckpointTime.Estimate estimate = agent.checkpointTime();
        if (estimate != null) {
            ObjectNode time = root.putObject("checkpointTime");
            time.put("seconds", estimate.time().toMillis() / 1000.0);
            time.put("measured", estimate.measured());
            time.put("explanation", estimate.explanation());
        }
        if (verdict != null) {
            root.put("raw", verdict.raw().label());
            root.put("at", java.time.Instant.ofEpochMilli(verdict.at()).toString());
            root.put("readings", verdict.readings());
            root.put("reason", verdict.reason());
            ArrayNode findings = root.putArray("findings");
            for (Finding f : verdict.findings()) {
                ObjectNode node = findings.addObject();
                node.put("level", f.level().label());
                node.put("precursor", f.precursor());
                node.put("series", f.series());
                node.put("reason", f.reason());
            }
        }
        ArrayNode missing = root.putArray("missing");
        health.missing().forEach(missing::add);
        ArrayNode notices = root.putArray("notices");
        health.tree().notices().recent().forEach(notices::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    String decisions() throws IOException {
        ArrayNode all = JSON.createArrayNode();
        for (Decision d : agent.journal().recent()) {
            all.add(Journal.toJson(d));
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all);
    }

    String jobs() throws IOException, SchedulerException {
        ArrayNode all = JSON.createArrayNode();
        for (JobStatus job : agent.actions().jobs().adapter().jobsOn(agent.actions().node())) {
            ObjectNode node = all.addObject();
            node.put("job", job.jobId());
            node.put("state", job.nativeState());
            node.put("user", job.user());
            ArrayNode contexts = node.putArray("checkpoints");
            try {
                JobDirectory dir = agent.actions().jobs().checkedDirectory(job);
                for (Path file : dir.contexts()) {
                    ObjectNode c = contexts.addObject();
                    c.put("file", file.toString());
                    c.put("bytes", Files.size(file));
                    c.put("at", Files.getLastModifiedTime(file).toInstant().toString());
                }
                dir.lastError().ifPresent(e -> node.put("lastError", e.message()));
            } catch (IOException | SchedulerException e) {
                node.put("catalog", "not readable: " + e.getMessage());
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all);
    }

    /**
     * The node's checkpoints in flight: a context file being written into the catalog directory
     * of one of the node's jobs, bytes written of the previous file's size, rate and time left.
     */
    String inFlight() throws IOException, SchedulerException {
        java.util.Map<Path, String> directories = new java.util.HashMap<>();
        java.util.Map<Path, Long> sizes = new java.util.HashMap<>();
        for (JobStatus job : agent.actions().jobs().adapter().jobsOn(agent.actions().node())) {
            try {
                JobDirectory dir = agent.actions().jobs().directory(job);
                directories.put(dir.path(), job.jobId());
                java.util.Optional<Path> latest = dir.latest();
                if (latest.isPresent()) {
                    sizes.put(dir.path(), Files.size(latest.get()));
                }
            } catch (IOException | RuntimeException unreadable) {
                // a catalog that cannot be read has nothing in flight to show
            }
        }
        ArrayNode all = JSON.createArrayNode();
        for (InFlightCheckpoints.Report r : inFlightCheckpoints.report(directories, sizes, System.currentTimeMillis())) {
            all.addObject().put("job", r.jobId()).put("written", r.written()).put("estimatedTotal", r.estimatedTotal())
                    .put("elapsedMillis", r.elapsedMillis()).put("bytesPerSecond", Math.round(r.bytesPerSecond()))
                    .put("leftMillis", r.leftMillis());
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static String label(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }

    static String number(double value) {
        return Double.isNaN(value) ? "NaN" : String.format(Locale.ROOT, "%s", value);
    }

    static List<Decision> decisionsOf(NodeAgent agent) {
        return agent.journal().recent();
    }
}
