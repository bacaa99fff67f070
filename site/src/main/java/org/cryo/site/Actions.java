package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.Migration;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * The console's actions, each through the same workflow and permission check as the command line
 * ({@link JobControl} for the signed-in user: a job's owner, root or the scheduler's operators;
 * a node's: root or an operator): checkpoint, vacate, restart, enable and disable checkpoints of
 * a job; migrate, drain and resume a node.
 */
final class Actions {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> JOB_ACTIONS = Set.of("checkpoint", "vacate", "restart", "enable", "disable");
    static final Set<String> NODE_ACTIONS = Set.of("migrate", "drain", "resume");

    /** An action that is not one, or lacks its target: HTTP 400. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    private final ClusterState cluster;

    Actions(ClusterState cluster) {
        this.cluster = cluster;
    }

    /** The action's target ("job 12", "node node2"), validated; throws {@link BadRequest}. */
    String target(String action, JsonNode body) throws BadRequest {
        if (JOB_ACTIONS.contains(action)) {
            String job = body.path("job").asText("");
            if (!job.matches("[A-Za-z0-9._\\[\\]-]{1,64}")) {
                throw new BadRequest(action + ": name the job ({\"job\": \"ID\"})");
            }
            return "job " + job;
        }
        if (NODE_ACTIONS.contains(action)) {
            String node = body.path("node").asText("");
            if (!cluster.knows(node)) {
                throw new BadRequest(action + ": name one of the console's nodes ({\"node\": \"NAME\"}; "
                        + String.join(", ", cluster.nodeNames()) + ")");
            }
            return "node " + node;
        }
        throw new BadRequest("no such action '" + org.cryo.api.SafeText.escape(action) + "' (actions: checkpoint, vacate, "
                + "restart, enable, disable, migrate, drain, resume)");
    }

    /** Runs the action as {@code control}'s user; a refusal or failure is a {@link SchedulerException}. */
    ObjectNode run(JobControl control, String action, JsonNode body) throws SchedulerException {
        String job = body.path("job").asText();
        String node = body.path("node").asText();
        String reason = body.path("reason").asText("").strip();
        ObjectNode result = JSON.createObjectNode();
        switch (action) {
            case "checkpoint" -> describe(result, control.checkpoint(job));
            case "vacate" -> describe(result, control.vacate(job, "hold".equals(body.path("mode").asText())
                    ? VacateMode.HOLD : VacateMode.REQUEUE, org.cryo.scheduler.JobMove.Reason.VACATED));
            case "restart" -> {
                control.restart(job);
                result.put("message", "job " + job + " released: it restarts from its latest context file");
            }
            case "enable", "disable" -> {
                control.setCheckpointsEnabled(job, action.equals("enable"));
                result.put("message", "checkpoints of job " + job + " " + action + "d");
            }
            case "migrate" -> migrate(control, node, reasonOr(reason, control, "migrated"), result);
            case "drain" -> {
                control.permissions().ensurePrivileged("drain node " + node);
                control.adapter().drain(node, reasonOr(reason, control, "drained"));
                cluster.drainedFromConsole(node, true);
                result.put("message", "node " + node + " drained");
            }
            case "resume" -> {
                control.permissions().ensurePrivileged("resume node " + node);
                control.adapter().resume(node);
                cluster.drainedFromConsole(node, false);
                result.put("message", "node " + node + " resumed");
            }
            default -> throw new IllegalArgumentException(action);
        }
        return result;
    }

    private void migrate(JobControl control, String node, String reason, ObjectNode result) throws SchedulerException {
        List<Migration.Outcome> outcomes = control.migrateNode(node, reason);
        cluster.drainedFromConsole(node, true);
        var jobs = result.putArray("jobs");
        int moved = 0;
        for (Migration.Outcome o : outcomes) {
            ObjectNode j = jobs.addObject().put("job", o.jobId());
            if (o.checkpoint() != null) {
                moved++;
                j.put("outcome", "moved").put("context", o.checkpoint().file().toString())
                        .put("checkpointMillis", o.checkpoint().millis());
            } else {
                j.put("outcome", o.skipped() != null ? "skipped: " + o.skipped() : "failed: " + o.error());
            }
        }
        result.put("message", "node " + node + " drained; " + moved + " of " + outcomes.size() + " job"
                + (outcomes.size() == 1 ? "" : "s") + " checkpointed and requeued");
    }

    private static String reasonOr(String reason, JobControl control, String what) {
        String given = reason.isEmpty() ? what + " from the Cryo console" : reason.replaceAll("[\\p{Cntrl}]", " ");
        return given.length() > 200 ? given.substring(0, 200) : given + " by " + control.permissions().user();
    }

    private static void describe(ObjectNode result, CheckpointRecord record) {
        result.put("message", "job " + record.jobId() + " checkpointed to " + record.file().getFileName() + " in "
                + record.millis() + " ms");
        result.put("context", record.file().toString());
        result.put("checkpointMillis", record.millis());
    }
}
