package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.BoundedCommand;
import org.cryo.config.CryoConfig;

/**
 * Runs a command on a compute node: directly when the node is this host, else the way
 * {@code node.exec} in cryo.conf ({@code $CRYO_NODE_EXEC}) says: {@code scheduler} (the default:
 * the adapter's {@link SchedulerAdapter#nodeEntry}, e.g. Slurm's {@code srun --jobid=J --overlap},
 * which a normal user's job can use; ssh for a scheduler without one), {@code ssh}, or a command
 * prefix with {@code %n} replaced by the node and {@code %j} by the job id (the test cluster uses
 * {@code scripts/slurm/on-node.sh %n}, which enters the node's namespaces).  A checkpoint must run
 * where the process is: ptrace does not cross hosts.
 */
public final class NodeExecutor {
    public static final String TEMPLATE_VARIABLE = "CRYO_NODE_EXEC";
    public static final String SCHEDULER = "scheduler";
    public static final String SSH = "ssh";
    static final String SSH_TEMPLATE = "ssh -o BatchMode=yes %n";

    /** The scheduler's way onto a job's node, if it has one (the adapter's nodeEntry). */
    @FunctionalInterface
    public interface Entries {
        Optional<NodeEntry> entry(JobStatus job, String node) throws SchedulerException;

        Entries NONE = (job, node) -> Optional.empty();
    }

    private final String method;
    private final String localNode;
    private final Entries entries;

    public NodeExecutor(String method, String localNode, Entries entries) {
        this.method = method.isBlank() ? SCHEDULER : method.strip();
        this.localNode = localNode;
        this.entries = entries;
    }

    public NodeExecutor(String method, String localNode) {
        this(method, localNode, Entries.NONE);
    }

    /** node.exec from {@code environment} (CryoConfig's view), with no scheduler behind it: ssh for "scheduler". */
    public static NodeExecutor configured(Map<String, String> environment) {
        return new NodeExecutor(environment.getOrDefault(TEMPLATE_VARIABLE, ""), localHostName());
    }

    /** node.exec from {@code environment}, "scheduler" being {@code adapter}'s own way onto its jobs' nodes. */
    public static NodeExecutor configured(Map<String, String> environment, SchedulerAdapter adapter) {
        return new NodeExecutor(environment.getOrDefault(TEMPLATE_VARIABLE, ""), localHostName(), adapter::nodeEntry);
    }

    /** This host's name as the kernel has it (per UTS namespace, so a namespaced test node is itself). */
    public static String localHostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return CryoConfig.effectiveEnvironment().getOrDefault("HOSTNAME", "localhost");
        }
    }

    public String localNode() {
        return localNode;
    }

    /** Is {@code node} this host (its full or short name)? */
    public boolean isLocal(String node) {
        return node.equals(localNode) || node.equals(shortName(localNode));
    }

    /** The result of a command: exit status and what it printed (stdout and stderr together). */
    public record Result(int status, String output) {
        /** The last non-empty line of output: where tools put their one-line error. */
        public String lastLine() {
            String[] lines = output.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    /** A command line ready to start, with what its environment needs added. */
    public record Invocation(List<String> command, Map<String, String> environment) {
    }

    /** The full command line that runs {@code command} on {@code node}, outside any job (ssh or the prefix). */
    public List<String> commandFor(String node, List<String> command) throws SchedulerException {
        return invocation(null, node, command, false).command();
    }

    /**
     * How {@code command} of {@code job} runs on {@code node}: as the caller, or with
     * {@code asJobUser} as the job's user ({@code runuser} when root acts on another user's job,
     * unless the scheduler's own entry already runs it so).
     */
    public Invocation invocation(JobStatus job, String node, List<String> command, boolean asJobUser)
            throws SchedulerException {
        if (isLocal(node)) {
            return new Invocation(asJobUser ? switchedToJobUser(job, command) : List.copyOf(command), Map.of());
        }
        if (method.equals(SCHEDULER) && job != null) {
            Optional<NodeEntry> entry = entries.entry(job, node);
            if (entry.isPresent()) {
                List<String> full = new ArrayList<>(entry.get().prefix());
                List<String> words = asJobUser && !entry.get().asJobUser() ? switchedToJobUser(job, command) : command;
                full.addAll(entry.get().remoteShell() ? quotedForShell(words) : words);
                return new Invocation(full, entry.get().environment());
            }
        }
        String template = method.equals(SCHEDULER) || method.equals(SSH) ? SSH_TEMPLATE : method;
        if (template.contains("%j") && job == null) {
            throw new SchedulerException("node.exec '" + template + "' names the job (%j): no job to run '"
                    + command.get(0) + "' on node " + node + " for");
        }
        List<String> full = new ArrayList<>();
        for (String word : template.split("\\s+")) {
            full.add(word.replace("%n", node).replace("%j", job == null ? "" : job.jobId()));
        }
        List<String> words = asJobUser ? switchedToJobUser(job, command) : command;
        // ssh hands the node one line its shell splits again: each word goes quoted (a prefix of
        // the site's own, such as the test clusters' nsenter, passes words as they are)
        full.addAll(template.equals(SSH_TEMPLATE) ? quotedForShell(words) : words);
        return new Invocation(full, Map.of());
    }

    /** Each word in single quotes for a POSIX shell (a quote inside as '\''). */
    static List<String> quotedForShell(List<String> words) {
        return words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").toList();
    }

    /**
     * root runs another user's job's command as that user ({@code runuser}): the engine then
     * writes the context file into the user's catalog with the user's rights only (a directory
     * swapped for a link cannot make it write elsewhere), the file is the user's for the restart,
     * and ptrace reaches the user's processes only, whatever PID the catalog names.
     */
    static List<String> switchedToJobUser(JobStatus job, List<String> command) {
        if (job == null || !"root".equals(System.getProperty("user.name")) || "root".equals(job.user())) {
            return List.copyOf(command);
        }
        List<String> asUser = new ArrayList<>(List.of("runuser", "-u", job.user(), "--"));
        asUser.addAll(command);
        return asUser;
    }

    /** Runs {@code command} on {@code node} (outside any job), waiting at most {@code timeoutSeconds}. */
    public Result run(String node, List<String> command, long timeoutSeconds) throws SchedulerException {
        return run(node, invocation(null, node, command, false), timeoutSeconds);
    }

    /** Runs a command of {@code job}'s on {@code node} as the caller (a proof), through the job's entry if remote. */
    public Result run(JobStatus job, String node, List<String> command, long timeoutSeconds) throws SchedulerException {
        return run(node, invocation(job, node, command, false), timeoutSeconds);
    }

    /** Runs {@code command} on {@code node} as {@code job}'s user (the engine's checkpoint). */
    public Result runAsJobUser(JobStatus job, String node, List<String> command, long timeoutSeconds)
            throws SchedulerException {
        return run(node, invocation(job, node, command, true), timeoutSeconds);
    }

    private Result run(String node, Invocation invocation, long timeoutSeconds) throws SchedulerException {
        List<String> full = invocation.command();
        try {
            ProcessBuilder builder = new ProcessBuilder(full);
            builder.environment().putAll(invocation.environment());
            BoundedCommand.Result result = BoundedCommand.run(builder, timeoutSeconds);
            if (result.timedOut()) {
                throw new SchedulerException("'" + String.join(" ", full) + "' on node " + node
                        + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(result.status(), result.output());
        } catch (IOException e) {
            throw new SchedulerException("cannot run '" + full.get(0) + "' for node " + node + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while running a command on node " + node, e);
        }
    }

    /**
     * Starts {@code command} on {@code node} as {@code job}'s user with its stdin a pipe (to talk
     * to it) and its stdout and stderr together; the caller waits for it and ends it.
     */
    public Process startAsJobUser(JobStatus job, String node, List<String> command) throws SchedulerException {
        Invocation invocation = invocation(job, node, command, true);
        List<String> full = invocation.command();
        try {
            ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
            builder.environment().putAll(invocation.environment());
            return builder.start();
        } catch (IOException e) {
            throw new SchedulerException("cannot run '" + full.get(0) + "' for node " + node + ": " + e.getMessage(), e);
        }
    }

    private static String shortName(String host) {
        int dot = host.indexOf('.');
        return dot < 0 ? host : host.substring(0, dot);
    }
}
