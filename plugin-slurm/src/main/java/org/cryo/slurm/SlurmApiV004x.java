package org.cryo.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cryo.scheduler.SchedulerException;

/**
 * slurmrestd's openapi/slurmctld with data_parser v0.0.40, v0.0.41 or v0.0.42 (Slurm 23.11 to
 * 24.11): one shape, the version only in the path.  Fields from the OpenAPI document of
 * slurmrestd 24.11.5 ({@code --generate-openapi-spec}), checked against a running 24.11.5.  What
 * changed from v0.0.38: states are lists of flags ({@code ["PENDING","COMPLETING"]},
 * {@code ["MIXED","DRAIN"]}), numbers that may be unset are {@code {set, infinite, number}}, node
 * lists in a job update are arrays, nodes can be drained and resumed ({@code POST node/{name}}),
 * and a ping says {@code responding} (v0.0.42) or {@code pinged} "UP" (all three).
 */
public final class SlurmApiV004x implements SlurmApi {
    /**
     * The flags Slurm names a job's state by, ahead of its base state ({@code job_state_string}
     * in src/common/slurm_protocol_defs.c), so that the adapter sees the same names as v0.0.38 gave.
     */
    private static final List<String> STATE_FLAGS_FIRST = List.of("COMPLETING", "STAGE_OUT", "CONFIGURING",
            "RESIZING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "SPECIAL_EXIT", "STOPPED", "REVOKED",
            "RESV_DEL_HOLD", "SIGNALING");

    private final SlurmRest rest;
    private final RestVersion version;
    private final String prefix;

    SlurmApiV004x(SlurmRest rest, RestVersion version) {
        this.rest = rest;
        this.version = version;
        this.prefix = "slurm/" + version.apiName() + "/";
    }

    @Override
    public RestVersion version() {
        return version;
    }

    /** 24.11 answers a ping with HTTP 200 even when slurmctld refused the token: the ping itself says. */
    @Override
    public String ping() throws SchedulerException {
        JsonNode reply = rest.get(prefix + "ping/", "ping");
        for (JsonNode ping : reply.path("pings")) {
            boolean responding = ping.has("responding") ? ping.path("responding").asBoolean()
                    : ping.path("pinged").asText("").equals("UP");
            if (!responding) {
                throw new SlurmRest.Unavailable("slurmrestd at " + rest.url() + " cannot reach slurmctld on "
                        + ping.path("hostname").asText("?") + " as user " + rest.userName()
                        + " (pinged " + ping.path("pinged").asText("?") + "): the token is refused or slurmctld is down", null);
            }
        }
        return reply.path("meta").path("slurm").path("release").asText("?");
    }

    @Override
    public SlurmDiag diag() throws SchedulerException {
        return SlurmDiag.fromRest(rest.get(prefix + "diag/", "diag").path("statistics"));
    }

    @Override
    public SlurmJob job(String jobId) throws SchedulerException {
        JsonNode jobs = rest.get(prefix + "job/" + jobId, "job " + jobId).path("jobs");
        if (!jobs.isArray() || jobs.isEmpty()) {
            throw new SchedulerException("job " + jobId + ": Slurm does not know it");
        }
        return toJob(jobs.get(0));
    }

    @Override
    public List<SlurmJob> jobs() throws SchedulerException {
        List<SlurmJob> jobs = new ArrayList<>();
        for (JsonNode job : rest.get(prefix + "jobs/", "jobs").path("jobs")) {
            jobs.add(toJob(job));
        }
        return jobs;
    }

    @Override
    public List<SlurmNode> nodes() throws SchedulerException {
        List<SlurmNode> nodes = new ArrayList<>();
        for (JsonNode node : rest.get(prefix + "nodes/", "nodes").path("nodes")) {
            nodes.add(toNode(node));
        }
        return nodes;
    }

    @Override
    public void setHeld(String jobId, boolean held) throws SchedulerException {
        rest.post(prefix + "job/" + jobId, rest.json().createObjectNode().put("hold", held),
                (held ? "hold" : "release") + " job " + jobId);
    }

    @Override
    public void update(String jobId, JobUpdate update) throws SchedulerException {
        ObjectNode body = rest.json().createObjectNode();
        if (update.beginTime() != null) {
            body.set("begin_time", setNumber(update.beginTime()));
        }
        if (update.timeLimitMinutes() != null) {
            body.set("time_limit", setNumber(update.timeLimitMinutes()));
        }
        if (update.qos() != null) {
            body.put("qos", update.qos());
        }
        if (update.requiredNodes() != null) {
            body.set("required_nodes", strings(update.requiredNodes()));
        }
        if (update.excludedNodes() != null) {
            body.set("excluded_nodes", strings(update.excludedNodes()));
        }
        rest.post(prefix + "job/" + jobId, body, "update job " + jobId);
    }

    @Override
    public void drainNode(String node, String reason) throws SchedulerException {
        ObjectNode body = rest.json().createObjectNode().put("reason", reason);
        body.putArray("state").add("DRAIN");
        rest.post(prefix + "node/" + node, body, "drain node " + node);
    }

    @Override
    public void resumeNode(String node) throws SchedulerException {
        ObjectNode body = rest.json().createObjectNode();
        body.putArray("state").add("RESUME");
        rest.post(prefix + "node/" + node, body, "resume node " + node);
    }

    private ObjectNode setNumber(long number) {
        return rest.json().createObjectNode().put("set", true).put("infinite", false).put("number", number);
    }

    private ArrayNode strings(List<String> values) {
        ArrayNode array = rest.json().createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static SlurmJob toJob(JsonNode job) {
        return new SlurmJob(job.path("job_id").asText(), stateName(job.path("job_state")),
                job.path("state_reason").asText(""), job.path("user_name").asText(""),
                HostList.expand(job.path("nodes").asText("")), job.path("current_working_directory").asText(""),
                job.path("restart_cnt").asInt(0), job.path("requeue").asBoolean(false), number(job.path("priority")));
    }

    /** ["PENDING","COMPLETING"] is "COMPLETING", as Slurm names it; ["RUNNING"] is "RUNNING". */
    static String stateName(JsonNode states) {
        List<String> names = new ArrayList<>();
        states.forEach(state -> names.add(state.asText()));
        return STATE_FLAGS_FIRST.stream().filter(names::contains).findFirst()
                .orElse(names.isEmpty() ? "" : names.get(0));
    }

    /** {set, infinite, number}: unset is 0 here (a priority of 0 means held). */
    private static long number(JsonNode value) {
        if (value.isNumber()) {
            return value.asLong();
        }
        if (value.path("infinite").asBoolean(false)) {
            return Long.MAX_VALUE;
        }
        return value.path("set").asBoolean(false) ? value.path("number").asLong(0) : 0;
    }

    /** state ["MIXED","DRAIN"]: base state "mixed", drained. */
    private static SlurmNode toNode(JsonNode node) {
        boolean drained = false;
        String base = "";
        for (JsonNode flag : node.path("state")) {
            String name = flag.asText();
            drained |= name.startsWith("DRAIN");
            if (base.isEmpty()) {
                base = name.toLowerCase(Locale.ROOT);
            }
        }
        return new SlurmNode(node.path("name").asText(), base, drained, node.path("cpus").asInt(0),
                node.path("alloc_cpus").asInt(0));
    }
}
