package org.cryo.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The agent's journal of decisions and migrations: one JSON object a line in
 * {@code DIR/journal.jsonl} (0600, in a 0700 directory of the agent's user, never through a
 * link), and the last ones in memory for the HTTP API.
 */
public final class Journal {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEEP_IN_MEMORY = 100;

    private final Path file;
    private final Deque<Decision> recent = new ArrayDeque<>();

    private Journal(Path file) {
        this.file = file;
    }

    /** The journal in {@code dir} (created 0700 if missing); null dir: in memory only. */
    public static Journal in(Path dir) throws IOException {
        return new Journal(dir == null ? null : PrivateFiles.directory(dir).resolve("journal.jsonl"));
    }

    public Path file() {
        return file;
    }

    public synchronized void record(Decision decision) throws IOException {
        recent.addLast(decision);
        while (recent.size() > KEEP_IN_MEMORY) {
            recent.removeFirst();
        }
        if (file != null) {
            PrivateFiles.append(file, JSON.writeValueAsString(toJson(decision)));
        }
    }

    public synchronized List<Decision> recent() {
        return List.copyOf(recent);
    }

    static ObjectNode toJson(Decision d) {
        ObjectNode node = JSON.createObjectNode();
        node.put("at", java.time.Instant.ofEpochMilli(d.at()).toString());
        node.put("node", d.node());
        node.put("level", d.level().label());
        node.put("action", d.action());
        node.put("reason", d.reason());
        node.put("outcome", d.outcome());
        if (d.drainedMillis() >= 0) {
            node.put("drainedMillis", d.drainedMillis());
        }
        ArrayNode jobs = node.putArray("jobs");
        for (Decision.JobOutcome job : d.jobs()) {
            ObjectNode j = jobs.addObject();
            j.put("job", job.jobId());
            j.put("outcome", job.outcome());
            if (job.context() != null) {
                j.put("context", job.context());
            }
            if (job.checkpointMillis() >= 0) {
                j.put("checkpointMillis", job.checkpointMillis());
            }
            if (job.requeuedMillis() >= 0) {
                j.put("requeuedMillis", job.requeuedMillis());
            }
        }
        return node;
    }
}
