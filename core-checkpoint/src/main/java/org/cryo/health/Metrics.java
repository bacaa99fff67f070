package org.cryo.health;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobStatus;

/**
 * {@code /metrics}: the health level, every reading (counters and gauges as read), the agent's
 * decisions and migrations, and the node's jobs' checkpoints (count, latest size, the durations of
 * the checkpoints the agent took), in Prometheus' text format.
 */
final class Metrics {
    private Metrics() {
    }

    static String render(NodeAgent agent) {
        StringBuilder out = new StringBuilder();
        String node = AgentHttp.label(agent.actions().node());
        Verdict verdict = agent.health().last();
        out.append("# HELP cryo_health_level Node health: 0 ok, 1 warn, 2 evacuate, 3 fail (after hysteresis).\n");
        out.append("# TYPE cryo_health_level gauge\n");
        out.append("cryo_health_level{node=\"").append(node).append("\"} ")
                .append(verdict == null ? 0 : verdict.level().ordinal()).append('\n');
        out.append("# HELP cryo_health_reading The latest value of each monitored counter or sensor.\n");
        out.append("# TYPE cryo_health_reading gauge\n");
        for (Series s : agent.health().series().values()) {
            if (s.latest() != null) {
                out.append("cryo_health_reading{node=\"").append(node).append("\",signal=\"").append(s.signal().key())
                        .append("\",series=\"").append(AgentHttp.label(s.name())).append("\"} ")
                        .append(AgentHttp.number(s.latest().value())).append('\n');
            }
        }
        out.append("# HELP cryo_health_findings Findings at warn or above in the last poll.\n");
        out.append("# TYPE cryo_health_findings gauge\n");
        out.append("cryo_health_findings{node=\"").append(node).append("\"} ")
                .append(verdict == null ? 0 : verdict.findings().size()).append('\n');
        CheckpointTime.Estimate estimate = agent.checkpointTime();
        if (estimate != null) {
            out.append("# HELP cryo_agent_checkpoint_time_seconds The node's jobs' checkpoint time the policy uses (measured, else configured).\n");
            out.append("# TYPE cryo_agent_checkpoint_time_seconds gauge\n");
            out.append("cryo_agent_checkpoint_time_seconds{node=\"").append(node).append("\",measured=\"")
                    .append(estimate.measured()).append("\"} ").append(estimate.time().toMillis() / 1000.0).append('\n');
        }
        out.append("# HELP cryo_agent_polls_total Polls since the agent started.\n# TYPE cryo_agent_polls_total counter\n");
        out.append("cryo_agent_polls_total{node=\"").append(node).append("\"} ").append(agent.polls()).append('\n');
        Map<String, Integer> actions = new TreeMap<>();
        Map<String, Integer> moves = new TreeMap<>();
        List<Decision> decisions = AgentHttp.decisionsOf(agent);
        for (Decision d : decisions) {
            actions.merge(d.action() + "\",outcome=\"" + (d.failed() ? "failed" : d.outcome().startsWith("dry-run") ? "dry-run" : "done"),
                    1, Integer::sum);
            for (Decision.JobOutcome job : d.jobs()) {
                moves.merge(job.outcome().split("[: ]", 2)[0], 1, Integer::sum);
            }
        }
        out.append("# HELP cryo_agent_decisions Decisions in the agent's recent journal.\n# TYPE cryo_agent_decisions gauge\n");
        actions.forEach((k, v) -> out.append("cryo_agent_decisions{node=\"").append(node).append("\",action=\"").append(k)
                .append("\"} ").append(v).append('\n'));
        out.append("# HELP cryo_agent_jobs Job outcomes in the agent's recent journal.\n# TYPE cryo_agent_jobs gauge\n");
        moves.forEach((k, v) -> out.append("cryo_agent_jobs{node=\"").append(node).append("\",outcome=\"")
                .append(AgentHttp.label(k)).append("\"} ").append(v).append('\n'));
        out.append("# HELP cryo_agent_checkpoint_seconds Duration of each checkpoint the agent took to move a job.\n");
        out.append("# TYPE cryo_agent_checkpoint_seconds gauge\n");
        for (Decision d : decisions) {
            for (Decision.JobOutcome job : d.jobs()) {
                if (job.checkpointMillis() >= 0) {
                    out.append("cryo_agent_checkpoint_seconds{node=\"").append(node).append("\",job=\"")
                            .append(AgentHttp.label(job.jobId())).append("\"} ").append(job.checkpointMillis() / 1000.0).append('\n');
                }
            }
        }
        jobMetrics(agent, node, out);
        return out.toString();
    }

    private static void jobMetrics(NodeAgent agent, String node, StringBuilder out) {
        out.append("# HELP cryo_job_checkpoints Context files kept for each job on the node.\n# TYPE cryo_job_checkpoints gauge\n");
        StringBuilder sizes = new StringBuilder("# HELP cryo_job_checkpoint_bytes Size of each job's latest context file.\n"
                + "# TYPE cryo_job_checkpoint_bytes gauge\n");
        try {
            for (JobStatus job : agent.actions().jobs().adapter().jobsOn(agent.actions().node())) {
                try {
                    JobDirectory dir = agent.actions().jobs().checkedDirectory(job);
                    List<Path> contexts = dir.contexts();
                    String labels = "{node=\"" + node + "\",job=\"" + AgentHttp.label(job.jobId()) + "\"} ";
                    out.append("cryo_job_checkpoints").append(labels).append(contexts.size()).append('\n');
                    if (!contexts.isEmpty()) {
                        sizes.append("cryo_job_checkpoint_bytes").append(labels).append(Files.size(contexts.get(contexts.size() - 1)))
                                .append('\n');
                    }
                } catch (Exception e) {
                    // a job whose catalog is not readable has no checkpoint metrics
                }
            }
        } catch (Exception e) {
            out.append("# the scheduler did not answer: ").append(AgentHttp.label(String.valueOf(e.getMessage()))).append('\n');
        }
        out.append(sizes);
    }
}
