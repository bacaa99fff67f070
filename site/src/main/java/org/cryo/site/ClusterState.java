package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.cryo.health.HealthPolicy;
import org.cryo.health.Level;
import org.cryo.health.Signal;
import org.cryo.scheduler.NodeState;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;

/**
 * What the console knows of the nodes: each agent's last answer (level, findings, what it acted
 * on), the readings it sampled from it over time, and the decisions of every agent's journal,
 * each new one published to the activity journal once.  {@link #poll} is called on a schedule;
 * the pages read the latest state ({@link #clusterJson}).
 */
final class ClusterState {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How far back the charts look at least (a counter's window may be longer). */
    private static final long MIN_HISTORY_MILLIS = 3600_000;

    /** One node as last seen. */
    private static final class NodeView {
        final AgentClient agent;
        final NodeHistory history = new NodeHistory();
        volatile JsonNode health;
        volatile NodeState state;
        /** The agent's last report of the node's checkpoints in flight (empty: none, or an agent without /inflight). */
        volatile JsonNode inFlight = JSON.createArrayNode();
        volatile String error;
        volatile long seenAt;

        NodeView(AgentClient agent) {
            this.agent = agent;
        }
    }

    private final Map<String, NodeView> nodes = new LinkedHashMap<>();
    private final SchedulerAdapter adapter;
    private final HealthPolicy policy;
    private final Activity activity;
    private final Set<String> seenDecisions = ConcurrentHashMap.newKeySet();
    private final List<JsonNode> decisions = new ArrayList<>();
    /** Nodes drained from the console: shown drained when the adapter cannot say ({@link NodeState.Kind#UNKNOWN}). */
    private final Set<String> drainedHere = ConcurrentHashMap.newKeySet();

    ClusterState(List<AgentClient> agents, SchedulerAdapter adapter, HealthPolicy policy, Activity activity) {
        agents.forEach(a -> nodes.put(a.node(), new NodeView(a)));
        this.adapter = adapter;
        this.policy = policy;
        this.activity = activity;
    }

    List<String> nodeNames() {
        return List.copyOf(nodes.keySet());
    }

    boolean knows(String node) {
        return nodes.containsKey(node);
    }

    void drainedFromConsole(String node, boolean drained) {
        if (drained) {
            drainedHere.add(node);
        } else {
            drainedHere.remove(node);
        }
    }

    /**
     * Asks every agent and the scheduler once; an agent that does not answer keeps its last
     * state, with the error.
     */
    void poll() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, NodeView> entry : nodes.entrySet()) {
            NodeView view = entry.getValue();
            view.state = schedulerState(entry.getKey());
            try {
                view.health = view.agent.health();
                for (AgentClient.Reading r : view.agent.readings()) {
                    view.history.add(new NodeHistory.Key(r.signal(), r.series()), now, r.value(), historyMillis(r.signal()));
                }
                newDecisions(view.agent.decisions());
                view.inFlight = inFlightOf(view.agent);
                view.error = null;
                view.seenAt = now;
            } catch (IOException | RuntimeException e) {
                view.error = "agent " + view.agent.base() + " did not answer: " + e.getMessage();
            }
        }
    }

    /** What the agent reports in flight; an agent of an earlier version (no /inflight) reports nothing. */
    private static JsonNode inFlightOf(AgentClient agent) {
        try {
            return agent.inFlight();
        } catch (IOException | RuntimeException e) {
            return JSON.createArrayNode();
        }
    }

    /** Each node's checkpoints in flight, as its agent last reported them (untrusted: checked by the reader). */
    Map<String, JsonNode> inFlightByNode() {
        Map<String, JsonNode> all = new LinkedHashMap<>();
        nodes.forEach((name, view) -> all.put(name, view.inFlight));
        return all;
    }

    /** The node's state as the scheduler says it; unknown, with why, if it does not answer. */
    private NodeState schedulerState(String node) {
        try {
            return adapter.nodeState(node);
        } catch (SchedulerException | RuntimeException e) {
            return NodeState.unknown(node, "the scheduler did not answer: " + e.getMessage());
        }
    }

    private long historyMillis(String signal) {
        for (Signal s : Signal.values()) {
            if (s.key().equals(signal) && s.counter()) {
                return Math.max(MIN_HISTORY_MILLIS, 2 * policy.counter(s).window().toMillis());
            }
        }
        return MIN_HISTORY_MILLIS;
    }

    private void newDecisions(JsonNode journal) {
        for (JsonNode d : journal) {
            if (!d.isObject() || !d.path("at").isTextual() || !d.path("node").isTextual()) {
                continue;   // not a decision as the agent writes them
            }
            String key = d.path("at").asText() + "|" + d.path("node").asText() + "|" + d.path("action").asText() + "|"
                    + d.path("outcome").asText();
            if (seenDecisions.add(key)) {
                synchronized (decisions) {
                    decisions.add(d);
                    if (decisions.size() > 1000) {
                        decisions.remove(0);
                    }
                }
                activity.publish("decision", ((ObjectNode) d).deepCopy());
            }
        }
    }

    /** Every decision seen, oldest first (for the jobs' migration history). */
    List<JsonNode> decisions() {
        synchronized (decisions) {
            return List.copyOf(decisions);
        }
    }

    /** The cluster page's data: the scheduler, the policy's limits, every node with its charts. */
    ObjectNode clusterJson(Map<String, Integer> jobsPerNode) {
        ObjectNode root = JSON.createObjectNode();
        root.put("scheduler", adapter.scheduler());
        root.put("apiVersion", adapter.apiVersion());
        root.set("policy", policyJson());
        ArrayNode all = root.putArray("nodes");
        for (Map.Entry<String, NodeView> entry : nodes.entrySet()) {
            all.add(nodeJson(entry.getKey(), entry.getValue(), jobsPerNode.get(entry.getKey())));
        }
        return root;
    }

    private ObjectNode nodeJson(String name, NodeView view, Integer jobs) {
        ObjectNode node = JSON.createObjectNode();
        node.put("node", name);
        node.put("agent", view.agent.base().toString());
        JsonNode health = view.health;
        String level = health == null ? "unknown" : health.path("level").asText("unknown");
        String acted = health == null ? "ok" : health.path("acted").asText("ok");
        node.put("level", level);
        node.put("acted", acted);
        NodeState state = view.state != null ? view.state : NodeState.unknown(name, "not asked yet");
        boolean drainedByAgent = !acted.equals("ok");
        boolean outOfService = state.kind() == NodeState.Kind.UNKNOWN ? drainedHere.contains(name) : state.kind().outOfService();
        node.put("drained", drainedByAgent || outOfService);
        ObjectNode scheduler = node.putObject("scheduler");
        scheduler.put("state", state.kind().label());
        scheduler.put("native", state.nativeState());
        scheduler.put("reason", state.reason());
        if (state.kind() == NodeState.Kind.UNKNOWN && drainedHere.contains(name)) {
            scheduler.put("console", "drained from the console");
        }
        node.put("atRisk", level.equals("evacuate") || level.equals("fail") || acted.equals("evacuate") || acted.equals("fail"));
        if (jobs != null) {
            node.put("jobs", jobs);
        }
        if (view.error != null) {
            node.put("error", view.error);
        }
        if (view.seenAt > 0) {
            node.put("seenAt", Instant.ofEpochMilli(view.seenAt).toString());
        }
        ArrayNode findings = node.putArray("findings");
        if (health != null && health.path("findings").isArray()) {
            for (JsonNode f : health.path("findings")) {
                ObjectNode copy = findings.addObject();
                copy.put("level", f.path("level").asText());
                copy.put("precursor", f.path("precursor").asText());
                copy.put("series", f.path("series").asText());
                copy.put("reason", f.path("reason").asText());
            }
        }
        node.set("series", seriesJson(view.history));
        return node;
    }

    /** Each series as the chart draws it: counters as their rise within the policy's window, against its limits. */
    private ArrayNode seriesJson(NodeHistory history) {
        ArrayNode all = JSON.createArrayNode();
        for (Map.Entry<NodeHistory.Key, List<NodeHistory.Sample>> entry : history.all().entrySet()) {
            Signal signal = signalOf(entry.getKey().signal());
            if (signal == null) {
                continue;
            }
            ObjectNode s = all.addObject();
            s.put("signal", signal.key());
            s.put("series", entry.getKey().series());
            s.put("counter", signal.counter());
            List<NodeHistory.Sample> samples = entry.getValue();
            if (signal.counter()) {
                HealthPolicy.CounterRule rule = policy.counter(signal);
                s.put("measure", "rise within " + HealthPolicy.format(rule.window()));
                ObjectNode limits = s.putObject("limits");
                for (Level level : new Level[] {Level.WARN, Level.EVACUATE, Level.FAIL}) {
                    if (rule.limitOf(level) > 0) {
                        limits.put(level.label(), rule.limitOf(level));
                    }
                }
                samples = NodeHistory.risesWithin(samples, rule.window().toMillis());
            } else {
                s.put("measure", signal == Signal.TEMPERATURE ? "degrees Celsius" : "rpm");
            }
            ArrayNode points = s.putArray("samples");
            for (NodeHistory.Sample sample : samples) {
                points.addArray().add(sample.at()).add(sample.value());
            }
        }
        return all;
    }

    private static Signal signalOf(String key) {
        for (Signal s : Signal.values()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        return null;
    }

    private ObjectNode policyJson() {
        ObjectNode p = JSON.createObjectNode();
        p.put("pollInterval", HealthPolicy.format(policy.pollInterval()));
        p.put("hysteresisPolls", policy.hysteresisPolls());
        p.put("dryRun", policy.dryRun());
        ObjectNode counters = p.putObject("counters");
        for (Signal s : Signal.values()) {
            if (s.counter()) {
                HealthPolicy.CounterRule rule = policy.counter(s);
                ObjectNode c = counters.putObject(s.key());
                c.put("window", HealthPolicy.format(rule.window()));
                c.put("warn", rule.warn());
                c.put("evacuate", rule.evacuate());
                c.put("fail", rule.fail());
            }
        }
        return p;
    }

    /** The jobs on each node, as the scheduler lists them (a node it cannot list is left out). */
    Map<String, List<org.cryo.scheduler.JobStatus>> jobsByNode() {
        Map<String, List<org.cryo.scheduler.JobStatus>> jobs = new LinkedHashMap<>();
        for (String node : nodes.keySet()) {
            try {
                jobs.put(node, adapter.jobsOn(node));
            } catch (SchedulerException | RuntimeException e) {
                // shown as "not answering" on the node
            }
        }
        return jobs;
    }

    static Set<String> uniqueIds(Map<String, List<org.cryo.scheduler.JobStatus>> byNode) {
        Set<String> ids = new LinkedHashSet<>();
        byNode.values().forEach(l -> l.forEach(j -> ids.add(j.jobId())));
        return ids;
    }
}
