package org.cryo.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cryo.scheduler.SchedulerException;

/**
 * slurmrestd's openapi/v0.0.38 (Slurm 22.05; removed in 24.05), with JWT authentication
 * ({@code X-SLURM-USER-NAME}, {@code X-SLURM-USER-TOKEN}).  Paths and fields from
 * {@code src/plugins/openapi/v0.0.38/openapi.json} at tag slurm-22-05-0-1, checked against a
 * running 22.05.8.
 */
public final class SlurmApiV0038 implements SlurmApi {
    private static final String VERSION = "v0.0.38";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final URI base;
    private final String userName;
    private final String token;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    public SlurmApiV0038(URI url, String userName, String token) {
        this.base = URI.create(url.toString().replaceAll("/+$", "") + "/slurm/" + VERSION + "/");
        this.userName = userName;
        this.token = token;
        // HTTP/1.1 only: slurmrestd answers an h2c upgrade offer with a header Java cannot parse.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public String ping() throws SchedulerException {
        JsonNode reply = get("ping", "ping");
        return reply.path("meta").path("Slurm").path("release").asText("?");
    }

    @Override
    public SlurmJob job(String jobId) throws SchedulerException {
        JsonNode jobs = get("job/" + jobId, "job " + jobId).path("jobs");
        if (!jobs.isArray() || jobs.isEmpty()) {
            throw new SchedulerException("job " + jobId + ": Slurm does not know it");
        }
        return toJob(jobs.get(0));
    }

    @Override
    public List<SlurmJob> jobs() throws SchedulerException {
        List<SlurmJob> jobs = new ArrayList<>();
        for (JsonNode job : get("jobs", "jobs").path("jobs")) {
            jobs.add(toJob(job));
        }
        return jobs;
    }

    @Override
    public List<SlurmNode> nodes() throws SchedulerException {
        List<SlurmNode> nodes = new ArrayList<>();
        for (JsonNode node : get("nodes", "nodes").path("nodes")) {
            nodes.add(toNode(node));
        }
        return nodes;
    }

    @Override
    public void setHeld(String jobId, boolean held) throws SchedulerException {
        send(HttpRequest.newBuilder(base.resolve("job/" + jobId))
                .POST(HttpRequest.BodyPublishers.ofString("{\"hold\":" + held + "}"))
                .header("Content-Type", "application/json"), (held ? "hold" : "release") + " job " + jobId);
    }

    private JsonNode get(String path, String what) throws SchedulerException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), what);
    }

    /** Sends an authenticated request; Slurm's own error text becomes the one-line message. */
    private JsonNode send(HttpRequest.Builder request, String what) throws SchedulerException {
        request.timeout(TIMEOUT).header("X-SLURM-USER-NAME", userName).header("X-SLURM-USER-TOKEN", token)
                .header("Accept", "application/json");
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new SchedulerException("slurmrestd at " + base.resolve("/") + " is not answering (connection refused)", e);
        } catch (IOException e) {
            throw new SchedulerException("slurmrestd at " + base.resolve("/") + ": " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while asking slurmrestd for " + what, e);
        }
        JsonNode body = parse(response, what);
        String error = firstError(body);
        if (error != null) {
            throw new SchedulerException(what + ": " + error);
        }
        if (response.statusCode() == 401) {
            throw new SchedulerException("slurmrestd rejected the credentials of user " + userName + " (HTTP 401)");
        }
        if (response.statusCode() >= 300) {
            throw new SchedulerException(what + ": slurmrestd answered HTTP " + response.statusCode());
        }
        return body;
    }

    private JsonNode parse(HttpResponse<String> response, String what) throws SchedulerException {
        if (response.body() == null || response.body().isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            if (response.statusCode() == 401) {
                return json.createObjectNode();
            }
            throw new SchedulerException(what + ": slurmrestd sent no JSON (HTTP " + response.statusCode() + ")", e);
        }
    }

    /** "Unable to find JobId=9999" from {"errors":[{"description":...,"error":...}]}. */
    private static String firstError(JsonNode body) {
        JsonNode errors = body.path("errors");
        if (!errors.isArray() || errors.isEmpty()) {
            return null;
        }
        JsonNode error = errors.get(0);
        String description = error.path("description").asText("");
        return description.isEmpty() ? error.path("error").asText("error " + error.path("error_number").asInt()) : description;
    }

    private static SlurmJob toJob(JsonNode job) {
        return new SlurmJob(job.path("job_id").asText(), job.path("job_state").asText(""),
                job.path("state_reason").asText(""), job.path("user_name").asText(""),
                HostList.expand(job.path("nodes").asText("")), job.path("current_working_directory").asText(""),
                job.path("restart_cnt").asInt(0), job.path("requeue").asBoolean(false), job.path("priority").asLong(0));
    }

    private static SlurmNode toNode(JsonNode node) {
        boolean drained = false;
        for (JsonNode flag : node.path("state_flags")) {
            drained |= flag.asText().startsWith("DRAIN");
        }
        return new SlurmNode(node.path("name").asText(), node.path("state").asText(""), drained,
                node.path("cpus").asInt(0), node.path("alloc_cpus").asInt(0));
    }
}
