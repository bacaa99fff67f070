package org.cryo.slurm;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.cryo.api.BoundedCommand;
import org.cryo.scheduler.SchedulerException;

/**
 * Every verb with Slurm's commands ({@code scontrol}, and {@code sdiag}, {@code sacctmgr} beside
 * it): for what a REST version cannot do (a requeue in every version up to v0.0.42, a node drain
 * in v0.0.38; see {@link RestVersion}) and for everything when slurmrestd cannot be used.  Also
 * what only the commands tell: SlurmUser, the accounting storage and admin levels.  Records are
 * read from {@code scontrol -o show}: one line of KEY=VALUE pairs per job or node.
 */
public final class SlurmCommands implements SlurmClient {
    private static final long TIMEOUT_SECONDS = 60;
    /** A space that starts the next KEY= of an 'scontrol -o show' line (values may hold spaces: OS=, Reason=). */
    private static final Pattern NEXT_FIELD = Pattern.compile("\\s+(?=[A-Za-z][A-Za-z0-9_:/]*=)");
    private static final DateTimeFormatter SCONTROL_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    private final String scontrol;

    public SlurmCommands(String scontrol) {
        this.scontrol = scontrol;
    }

    /** The Slurm release slurmctld reports ({@code scontrol show config}: SLURM_VERSION). */
    @Override
    public String ping() throws SchedulerException {
        return configValue("SLURM_VERSION");
    }

    @Override
    public SlurmDiag diag() throws SchedulerException {
        Map<String, Long> counts = new HashMap<>();
        for (String line : runProgram(sibling("sdiag")).split("\n")) {
            String[] pair = line.split(":", 2);
            if (pair.length == 2 && pair[1].strip().matches("\\d+")) {
                counts.putIfAbsent(pair[0].strip(), Long.parseLong(pair[1].strip()));
            }
        }
        return new SlurmDiag(counts.getOrDefault("Server thread count", 0L), counts.getOrDefault("Agent queue size", 0L),
                counts.getOrDefault("Jobs running", 0L), counts.getOrDefault("Jobs pending", 0L));
    }

    @Override
    public SlurmJob job(String jobId) throws SchedulerException {
        String output = run("-o", "show", "job", jobId);
        for (String line : output.split("\n")) {
            Map<String, String> fields = fields(line);
            if (jobId.equals(fields.get("JobId"))) {
                return toJob(fields);
            }
        }
        throw new SchedulerException("job " + jobId + ": Slurm does not know it");
    }

    @Override
    public List<SlurmJob> jobs() throws SchedulerException {
        List<SlurmJob> jobs = new ArrayList<>();
        for (String line : run("-o", "show", "jobs").split("\n")) {
            Map<String, String> fields = fields(line);
            if (fields.containsKey("JobId")) {
                jobs.add(toJob(fields));
            }
        }
        return jobs;
    }

    @Override
    public List<SlurmNode> nodes() throws SchedulerException {
        List<SlurmNode> nodes = new ArrayList<>();
        for (String line : run("-o", "show", "nodes").split("\n")) {
            Map<String, String> fields = fields(line);
            if (fields.containsKey("NodeName")) {
                nodes.add(toNode(fields));
            }
        }
        return nodes;
    }

    /** {@code scontrol -o show node NODE}: the node's State and Reason as Slurm names them. */
    public org.cryo.scheduler.NodeState nodeState(String node) throws SchedulerException {
        for (String line : run("-o", "show", "node", node).split("\n")) {
            Map<String, String> fields = fields(line);
            if (node.equals(fields.get("NodeName"))) {
                return nodeState(fields);
            }
        }
        throw new SchedulerException("node " + node + ": Slurm does not know it");
    }

    /**
     * State=MIXED+DRAIN is draining (jobs still run), IDLE+DRAIN drained, a '*' (not responding),
     * DOWN or FAIL down; Reason=TEXT [USER@TIME] without the bracket Slurm adds.
     */
    static org.cryo.scheduler.NodeState nodeState(Map<String, String> fields) {
        String state = fields.getOrDefault("State", "");
        String base = state.replaceFirst("\\+.*$", "");
        boolean busy = base.startsWith("ALLOCATED") || base.startsWith("MIXED") || state.contains("COMPLETING");
        org.cryo.scheduler.NodeState.Kind kind;
        if (base.endsWith("*") || base.startsWith("DOWN") || base.startsWith("FAIL") || state.contains("+FAIL")
                || state.contains("NOT_RESPONDING")) {
            kind = org.cryo.scheduler.NodeState.Kind.DOWN;
        } else if (state.contains("DRAIN")) {
            kind = org.cryo.scheduler.NodeState.outOfScheduling(busy);
        } else {
            kind = switch (base) {
                case "IDLE" -> org.cryo.scheduler.NodeState.Kind.IDLE;
                case "MIXED" -> org.cryo.scheduler.NodeState.Kind.MIXED;
                case "ALLOCATED" -> org.cryo.scheduler.NodeState.Kind.ALLOCATED;
                default -> org.cryo.scheduler.NodeState.Kind.UNKNOWN;
            };
        }
        String reason = fields.getOrDefault("Reason", "").replaceFirst("\\s*\\[[^\\]]*@[^\\]]*\\]$", "");
        return new org.cryo.scheduler.NodeState(fields.getOrDefault("NodeName", ""), state, kind,
                reason.equals("(null)") ? "" : reason);
    }

    /** The job's ExcNodeList, expanded (empty: none). */
    public List<String> excludedNodes(String jobId) throws SchedulerException {
        for (String line : run("-o", "show", "job", jobId).split("\n")) {
            Map<String, String> fields = fields(line);
            if (jobId.equals(fields.get("JobId"))) {
                String list = fields.getOrDefault("ExcNodeList", "(null)");
                return list.equals("(null)") || list.isEmpty() ? List.of() : HostList.expand(list);
            }
        }
        throw new SchedulerException("job " + jobId + ": Slurm does not know it");
    }

    /** The nodes drained (or draining, or down) with a reason that starts with {@code prefix}. */
    public List<String> nodesDrainedFor(String prefix) throws SchedulerException {
        List<String> nodes = new ArrayList<>();
        for (String line : run("-o", "show", "nodes").split("\n")) {
            Map<String, String> fields = fields(line);
            if (fields.containsKey("NodeName")) {
                org.cryo.scheduler.NodeState node = nodeState(fields);
                if (node.kind().outOfService() && node.reason().startsWith(prefix)) {
                    nodes.add(node.node());
                }
            }
        }
        return nodes;
    }

    @Override
    public void setHeld(String jobId, boolean held) throws SchedulerException {
        run(held ? "hold" : "release", jobId);
    }

    @Override
    public void update(String jobId, JobUpdate update) throws SchedulerException {
        List<String> args = new ArrayList<>(List.of("update", "JobId=" + jobId));
        if (update.beginTime() != null) {
            args.add("StartTime=" + LocalDateTime.ofInstant(Instant.ofEpochSecond(update.beginTime()), ZoneId.systemDefault())
                    .format(SCONTROL_TIME));
        }
        if (update.timeLimitMinutes() != null) {
            args.add("TimeLimit=" + update.timeLimitMinutes());
        }
        if (update.qos() != null) {
            args.add("QOS=" + update.qos());
        }
        if (update.requiredNodes() != null) {
            args.add("ReqNodeList=" + String.join(",", update.requiredNodes()));
        }
        if (update.excludedNodes() != null) {
            args.add("ExcNodeList=" + String.join(",", update.excludedNodes()));
        }
        run(args.toArray(String[]::new));
    }

    @Override
    public void drainNode(String node, String reason) throws SchedulerException {
        run("update", "NodeName=" + node, "State=DRAIN", "Reason=" + reason);
    }

    @Override
    public void resumeNode(String node) throws SchedulerException {
        run("update", "NodeName=" + node, "State=RESUME");
    }

    @Override
    public void requeue(String jobId, boolean hold) throws SchedulerException {
        run(hold ? "requeuehold" : "requeue", jobId);
    }

    /** SlurmUser from {@code scontrol show config} ("SlurmUser = slurm(64030)"). */
    public String slurmUser() throws SchedulerException {
        return configValue("SlurmUser").replaceFirst("\\(.*$", "");
    }

    /** AccountingStorageType from {@code scontrol show config}. */
    public String accountingStorage() throws SchedulerException {
        return configValue("AccountingStorageType");
    }

    private String configValue(String name) throws SchedulerException {
        for (String line : run("show", "config").split("\n")) {
            String[] pair = line.split("=", 2);
            if (pair.length == 2 && pair[0].strip().equals(name)) {
                return pair[1].strip();
            }
        }
        throw new SchedulerException("'scontrol show config' does not show " + name);
    }

    /**
     * The admin level of {@code user} in the accounting database ({@code sacctmgr show user}):
     * "None", "Operator" or "Administrator"; "None" when the user is not there.
     */
    public String adminLevel(String user) throws SchedulerException {
        String output = runProgram(sibling("sacctmgr"), "-n", "-P", "show", "user", user, "format=adminlevel").strip();
        return output.isEmpty() ? "None" : output.split("\n")[0].strip();
    }

    /** Another Slurm command from scontrol's directory ({@code sdiag}, {@code sacctmgr}). */
    private String sibling(String command) {
        return scontrol.contains("/") ? scontrol.substring(0, scontrol.lastIndexOf('/') + 1) + command : command;
    }

    /** One 'scontrol -o show' line as KEY -> VALUE ("UserId" -> "root(0)"). */
    static Map<String, String> fields(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : NEXT_FIELD.split(line.strip())) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                fields.putIfAbsent(pair.substring(0, equals), pair.substring(equals + 1).strip());
            }
        }
        return fields;
    }

    private static SlurmJob toJob(Map<String, String> fields) {
        String nodes = fields.getOrDefault("NodeList", "");
        return new SlurmJob(fields.get("JobId"), fields.getOrDefault("JobState", ""), fields.getOrDefault("Reason", ""),
                fields.getOrDefault("UserId", "").replaceFirst("\\(.*$", ""),
                nodes.equals("(null)") ? List.of() : HostList.expand(nodes), fields.getOrDefault("WorkDir", ""),
                (int) number(fields.get("Restarts")), "1".equals(fields.get("Requeue")), number(fields.get("Priority")));
    }

    /** State=MIXED+DRAIN: base state "mixed", drained ("IDLE*", not responding, stays "idle*"). */
    private static SlurmNode toNode(Map<String, String> fields) {
        String state = fields.getOrDefault("State", "");
        return new SlurmNode(fields.get("NodeName"), state.replaceFirst("\\+.*$", "").toLowerCase(Locale.ROOT),
                state.contains("DRAIN"), (int) number(fields.get("CPUTot")), (int) number(fields.get("CPUAlloc")));
    }

    private static long number(String value) {
        return value != null && value.matches("\\d{1,18}") ? Long.parseLong(value) : 0;
    }

    /** Runs {@code scontrol ARGS}; its own one-line error becomes the message. */
    String run(String... args) throws SchedulerException {
        return runProgram(scontrol, args);
    }

    private static String runProgram(String program, String... args) throws SchedulerException {
        List<String> command = new ArrayList<>(List.of(program));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        // A JWT in SLURM_JWT would switch scontrol from munge to JWT auth.
        builder.environment().remove("SLURM_JWT");
        try {
            BoundedCommand.Result result = BoundedCommand.run(builder, TIMEOUT_SECONDS);
            if (result.timedOut()) {
                throw new SchedulerException("'" + name(program) + " " + String.join(" ", args) + "' timed out");
            }
            String output = result.output().strip();
            if (result.status() != 0) {
                throw new SchedulerException(name(program) + " " + String.join(" ", args) + ": "
                        + (output.isEmpty() ? "exit status " + result.status() : lastLine(output)));
            }
            return output;
        } catch (IOException e) {
            throw new SchedulerException("cannot run " + program + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while running " + name(program), e);
        }
    }

    private static String name(String program) {
        return program.substring(program.lastIndexOf('/') + 1);
    }

    private static String lastLine(String output) {
        String[] lines = output.split("\n");
        return lines[lines.length - 1].replaceFirst("^(scontrol|sacctmgr|sdiag): error: ", "");
    }
}
