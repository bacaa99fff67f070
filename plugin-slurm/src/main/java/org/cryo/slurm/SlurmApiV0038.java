package org.cryo.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.cryo.scheduler.SchedulerException;

/**
 * slurmrestd's openapi/v0.0.38 (Slurm 22.05 and 23.02; removed in 23.11).  Paths and fields from
 * the OpenAPI document a running 22.05.8 serves ({@code src/plugins/openapi/v0.0.38/openapi.json}
 * at tag slurm-22-05-0-1).  Its job update has no node lists, and it has no node update.
 */
public final class SlurmApiV0038 implements SlurmApi {
    private final SlurmRest rest;

    SlurmApiV0038(SlurmRest rest) {
        this.rest = rest;
    }

    @Override
    public RestVersion version() {
        return RestVersion.V0038;
    }

    /** A ping answered with "UP" by slurmctld; 22.05 fails the whole request otherwise. */
    @Override
    public String ping() throws SchedulerException {
        JsonNode reply = get("ping", "ping");
        for (JsonNode ping : reply.path("pings")) {
            if (!ping.path("ping").asText("").equals("UP")) {
                throw new SlurmRest.Unavailable("slurmrestd at " + rest.url() + ": slurmctld on "
                        + ping.path("hostname").asText("?") + " is " + ping.path("ping").asText("not answering"), null);
            }
        }
        return reply.path("meta").path("Slurm").path("release").asText("?");
    }

    @Override
    public SlurmDiag diag() throws SchedulerException {
        return SlurmDiag.fromRest(get("diag", "diag").path("statistics"));
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
        ObjectNode body = rest.json().createObjectNode().put("hold", held);
        rest.post(path("job/" + jobId), body, (held ? "hold" : "release") + " job " + jobId);
    }

    /** job_properties: begin_time, time_limit and qos are plain values in v0.0.38. */
    @Override
    public void update(String jobId, JobUpdate update) throws SchedulerException {
        if (update.requiredNodes() != null || update.excludedNodes() != null) {
            throw new SchedulerException("slurmrestd v0.0.38 cannot change a job's node lists");
        }
        ObjectNode body = rest.json().createObjectNode();
        if (update.beginTime() != null) {
            body.put("begin_time", update.beginTime());
        }
        if (update.timeLimitMinutes() != null) {
            body.put("time_limit", update.timeLimitMinutes());
        }
        if (update.qos() != null) {
            body.put("qos", update.qos());
        }
        rest.post(path("job/" + jobId), body, "update job " + jobId);
    }

    private JsonNode get(String path, String what) throws SchedulerException {
        return rest.get(path(path), what);
    }

    private static String path(String path) {
        return "slurm/v0.0.38/" + path;
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
