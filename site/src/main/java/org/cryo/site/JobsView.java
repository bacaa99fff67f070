package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.format.ContextInfo;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobMove;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * The jobs page and a job's checkpoints page: what the scheduler says of each job, what its
 * catalog holds (checked as a whole first: the job's user can write there), and what the engine
 * says of each context file ({@link Checkpointer#inspect}, the engine being the format's one
 * reader; cached by file, size and time, as it verifies every checksum).
 */
final class JobsView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Cached(long size, long modified, ObjectNode info) {
    }

    private final Checkpointer engine;
    private final Map<Path, Cached> described = new ConcurrentHashMap<>();

    JobsView(Checkpointer engine) {
        this.engine = engine;
    }

    /** One line of the jobs page per job. */
    ObjectNode jobJson(JobControl control, JobStatus job, List<JsonNode> decisions, long now) {
        ObjectNode node = JSON.createObjectNode();
        node.put("job", job.jobId());
        node.put("owner", job.user());
        node.put("state", job.nativeState());
        node.put("node", String.join(",", job.nodes()));
        node.put("requeueable", job.requeueable());
        node.put("run", job.run());
        try {
            JobDirectory dir = control.checkedDirectory(job);
            List<Path> contexts = dir.contexts();
            node.put("checkpoints", contexts.size());
            Path latest = null;
            BasicFileAttributes a = null;
            for (int i = contexts.size() - 1; i >= 0 && a == null; i--) {
                latest = contexts.get(i);
                a = attributes(latest).orElse(null);
            }
            if (a != null) {
                ObjectNode l = node.putObject("latest");
                l.put("file", latest.getFileName().toString());
                l.put("bytes", a.size());
                l.put("at", a.lastModifiedTime().toInstant().toString());
                l.put("ageSeconds", Math.max(0, (now - a.lastModifiedTime().toMillis()) / 1000));
            }
            intervalJson(node, dir, contexts);
            historyJson(node, dir.moves());
            java.util.Optional<JobProcess> process = dir.process();
            process.ifPresent(p -> processJson(node, p));
            boolean disabled = dir.isDisabled();
            node.put("disabled", disabled);
            node.put("vacating", dir.isVacating());
            dir.lastError().ifPresent(e -> node.put("lastError", e.message()));
            node.put("checkpointable", process.isPresent() && !disabled);
        } catch (IOException | SchedulerException | RuntimeException e) {
            node.put("catalog", "not readable: " + e.getMessage());
            node.put("checkpointable", false);
        }
        node.set("decisions", migrationsOf(job.jobId(), decisions));
        return node;
    }

    /** The interval cr_run recorded; without one (a job started before it recorded it), the observed one. */
    private static void intervalJson(ObjectNode node, JobDirectory dir, List<Path> contexts) throws IOException {
        java.util.Optional<java.time.Duration> recorded = dir.interval();
        if (recorded.isPresent()) {
            node.put("intervalSeconds", recorded.get().toMillis() / 1000.0);
            node.put("intervalSource", "recorded");
            return;
        }
        Long interval = observedInterval(contexts);
        if (interval != null) {
            node.put("intervalSeconds", interval);
            node.put("intervalSource", "observed");
        }
    }

    /** Restarts and where the job ran: every move the catalog records, oldest first, and the nodes in order. */
    static void historyJson(ObjectNode node, List<JobMove> moves) {
        node.put("restarts", moves.size());
        ArrayNode all = node.putArray("moves");
        ArrayNode ranOn = node.putArray("ranOn");
        for (JobMove m : moves) {
            all.addObject().put("at", m.at().toString()).put("from", m.from()).put("to", m.to())
                    .put("reason", m.reason().label()).put("context", m.context());
            if (ranOn.isEmpty() && !m.from().equals("-")) {
                ranOn.add(m.from());
            }
            if (ranOn.isEmpty() || !ranOn.get(ranOn.size() - 1).asText().equals(m.to())) {
                ranOn.add(m.to());
            }
        }
    }

    private static void processJson(ObjectNode node, JobProcess p) {
        node.put("pid", p.pid());
        node.put("processNode", p.node());
        node.put("restarted", p.restored());
    }

    /**
     * The periodic interval as the kept context files show it: the median time between them
     * (for a catalog without cr_run's record of it); null with fewer than two.
     */
    static Long observedInterval(List<Path> contexts) throws IOException {
        if (contexts.size() < 2) {
            return null;
        }
        List<Long> gaps = new ArrayList<>();
        long previous = -1;
        for (Path p : contexts) {
            var a = attributes(p);
            if (a.isEmpty()) {
                continue;
            }
            long t = a.get().lastModifiedTime().toMillis();
            if (previous >= 0) {
                gaps.add(Math.max(0, t - previous) / 1000);
            }
            previous = t;
        }
        if (gaps.isEmpty()) {
            return null;
        }
        gaps.sort(null);
        return gaps.get(gaps.size() / 2);
    }

    /** Where the job ran and why it moved: every agent decision that names it, oldest first. */
    static ArrayNode migrationsOf(String jobId, List<JsonNode> decisions) {
        ArrayNode moves = JSON.createArrayNode();
        for (JsonNode d : decisions) {
            for (JsonNode j : d.path("jobs")) {
                if (jobId.equals(j.path("job").asText())) {
                    ObjectNode m = moves.addObject();
                    m.put("at", d.path("at").asText());
                    m.put("from", d.path("node").asText());
                    m.put("action", d.path("action").asText());
                    m.put("reason", d.path("reason").asText());
                    m.put("outcome", j.path("outcome").asText());
                }
            }
        }
        return moves;
    }

    /** The job's checkpoints page: its catalog, what the engine says of each file, retention, the restart's file. */
    ObjectNode checkpointsJson(JobControl control, JobStatus job, int keep) throws SchedulerException, IOException {
        JobDirectory dir = control.checkedDirectory(job);
        ObjectNode root = JSON.createObjectNode();
        root.put("job", job.jobId());
        root.put("owner", job.user());
        root.put("state", job.nativeState());
        root.put("directory", dir.path().toString());
        root.put("keep", keep);
        root.put("retention", "the newest " + keep + " context files are kept; older ones are deleted as new ones are committed");
        List<Path> contexts = dir.contexts();
        dir.latest().ifPresent(l -> root.put("restartUses", l.getFileName().toString()));
        intervalJson(root, dir, contexts);
        historyJson(root, dir.moves());
        ArrayNode files = root.putArray("checkpoints");
        for (int i = contexts.size() - 1; i >= 0; i--) {
            Path file = contexts.get(i);
            var attributes = attributes(file);
            if (attributes.isEmpty()) {
                continue;   // retention deleted it since the listing (a newer one was committed)
            }
            BasicFileAttributes a = attributes.get();
            ObjectNode c = files.addObject();
            c.put("file", file.getFileName().toString());
            c.put("bytes", a.size());
            c.put("at", a.lastModifiedTime().toInstant().toString());
            c.put("restartUses", files.size() == 1);
            c.set("info", describe(file, a));
        }
        return root;
    }

    /**
     * A context file's attributes; empty if it is gone: retention deletes the oldest as a job's
     * periodic checkpoints commit new ones, between the listing and this look.
     */
    static java.util.Optional<BasicFileAttributes> attributes(Path file) throws IOException {
        try {
            return java.util.Optional.of(Files.readAttributes(file, BasicFileAttributes.class));
        } catch (java.nio.file.NoSuchFileException gone) {
            return java.util.Optional.empty();
        }
    }

    private ObjectNode describe(Path file, BasicFileAttributes a) {
        Cached cached = described.get(file);
        if (cached != null && cached.size() == a.size() && cached.modified() == a.lastModifiedTime().toMillis()) {
            return cached.info();
        }
        ObjectNode info;
        try {
            info = infoJson(engine.inspect(file));
        } catch (CheckpointException | RuntimeException e) {
            info = JSON.createObjectNode().put("error", String.valueOf(e.getMessage()));
        }
        described.put(file, new Cached(a.size(), a.lastModifiedTime().toMillis(), info));
        return info;
    }

    /** What {@code cryo info} prints of a file, as JSON: processes, memory by kind, files. */
    static ObjectNode infoJson(ContextInfo info) {
        ObjectNode root = JSON.createObjectNode();
        root.put("formatVersion", info.formatVersion());
        root.put("engineVersion", info.engineVersion());
        root.put("taken", info.time().toString());
        root.put("host", info.host());
        root.put("kernel", info.kernel());
        root.put("user", info.user());
        root.put("frozenMillis", info.freezeNs() / 1_000_000);
        root.put("commandLine", String.join(" ", info.commandLine()));
        root.put("threads", info.threadCount());
        root.put("savedBytes", info.savedBytes());
        ArrayNode processes = root.putArray("processes");
        for (ContextInfo.Process p : info.processes()) {
            ObjectNode n = processes.addObject();
            n.put("pid", p.pid());
            n.put("ppid", p.ppid());
            n.put("command", p.comm() == null ? "" : p.comm());
            n.put("state", p.state());
            n.put("threads", p.threads().size());
            n.put("addressBytes", p.addressBytes());
            n.put("savedBytes", p.savedBytes());
            Map<String, Long> memory = new TreeMap<>();
            p.mappings().forEach(m -> memory.merge(m.kind() == null ? "other" : m.kind(), m.savedBytes(), Long::sum));
            ObjectNode byKind = n.putObject("memoryByKind");
            memory.forEach(byKind::put);
            ObjectNode kinds = n.putObject("descriptors");
            p.descriptorKinds().forEach(kinds::put);
            ArrayNode fileList = n.putArray("files");
            for (ContextInfo.Descriptor d : p.descriptors()) {
                fileList.addObject().put("fd", d.fd()).put("kind", d.kind()).put("path", d.path() == null ? "" : d.path())
                        .put("access", d.access() == null ? "" : d.access());
            }
        }
        return root;
    }

    static long epochSeconds(Instant at) {
        return at.getEpochSecond();
    }
}
