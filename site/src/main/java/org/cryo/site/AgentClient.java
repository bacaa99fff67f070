package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One node agent's HTTP API ({@code cryo agent --listen}): {@code /health}, {@code /decisions}
 * (JSON) and {@code /metrics} (Prometheus text, for the readings), with the agents' bearer token
 * ({@code agent.token.file}) where the console has one: {@code /decisions} needs it.  What an
 * agent answers is untrusted input: anything that is not the JSON or the lines expected is
 * refused or skipped.
 */
final class AgentClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** {@code cryo_health_reading{node="n",signal="memory.corrected",series="edac mc0"} 5} */
    private static final Pattern READING = Pattern.compile(
            "cryo_health_reading\\{node=\"((?:[^\"\\\\]|\\\\.)*)\",signal=\"([a-z.]+)\",series=\"((?:[^\"\\\\]|\\\\.)*)\"\\} (\\S+)");

    /** The latest value of one of the agent's series. */
    record Reading(String signal, String series, double value) {
    }

    private final String node;
    private final URI base;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    AgentClient(String node, URI base, Optional<String> token) {
        this.node = node;
        this.base = base;
        this.token = token;
    }

    String node() {
        return node;
    }

    URI base() {
        return base;
    }

    JsonNode health() throws IOException {
        return json("/health", true);
    }

    JsonNode decisions() throws IOException {
        return json("/decisions", false);
    }

    /** The node's checkpoints in flight ({@code /inflight}, with the token). */
    JsonNode inFlight() throws IOException {
        return json("/inflight", false);
    }

    List<Reading> readings() throws IOException {
        List<Reading> readings = new ArrayList<>();
        for (String line : get("/metrics").split("\n")) {
            Matcher m = READING.matcher(line);
            if (m.matches()) {
                try {
                    readings.add(new Reading(m.group(2), unescape(m.group(3)), Double.parseDouble(m.group(4))));
                } catch (NumberFormatException skipped) {
                    // "NaN" parses; anything else is not a reading
                }
            }
        }
        return readings;
    }

    private JsonNode json(String path, boolean object) throws IOException {
        JsonNode node = JSON.readTree(get(path));
        if (node == null || (object ? !node.isObject() : !node.isArray())) {
            throw new IOException("agent " + base + path + " answered no JSON " + (object ? "object" : "array"));
        }
        return node;
    }

    private String get(String path) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET();
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        HttpRequest request = builder.build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401) {
                throw new IOException("agent " + base + path + " refused the console (HTTP 401: "
                        + (token.isPresent() ? "not the agents' token" : "no agent.token.file on the console's host") + ")");
            }
            if (response.statusCode() != 200) {
                throw new IOException("agent " + base + path + " answered HTTP " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking agent " + base, e);
        }
    }

    private static String unescape(String label) {
        return label.replace("\\\"", "\"").replace("\\\\", "\\");
    }
}
