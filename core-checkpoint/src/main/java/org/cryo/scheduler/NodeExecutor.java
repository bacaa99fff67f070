package org.cryo.scheduler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.config.CryoConfig;

/**
 * Runs a command on a compute node: directly when the node is this host, else through the
 * command prefix {@code $CRYO_NODE_EXEC} with {@code %n} replaced by the node name (default
 * {@code ssh %n}; the test cluster uses {@code scripts/slurm/on-node.sh %n}, which enters the
 * node's namespaces).  A checkpoint must run where the process is: ptrace does not cross hosts.
 */
public final class NodeExecutor {
    public static final String TEMPLATE_VARIABLE = "CRYO_NODE_EXEC";
    static final String DEFAULT_TEMPLATE = "ssh -o BatchMode=yes %n";

    private final String template;
    private final String localNode;

    public NodeExecutor(String template, String localNode) {
        this.template = template;
        this.localNode = localNode;
    }

    public static NodeExecutor configured(Map<String, String> environment) {
        String template = environment.getOrDefault(TEMPLATE_VARIABLE, "");
        return new NodeExecutor(template.isBlank() ? DEFAULT_TEMPLATE : template, localHostName());
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

    /** The full command line that runs {@code command} on {@code node}. */
    public List<String> commandFor(String node, List<String> command) {
        if (isLocal(node)) {
            return List.copyOf(command);
        }
        List<String> full = new ArrayList<>();
        for (String word : template.strip().split("\\s+")) {
            full.add(word.replace("%n", node));
        }
        full.addAll(command);
        return full;
    }

    /** Runs {@code command} on {@code node}, waiting at most {@code timeoutSeconds}. */
    public Result run(String node, List<String> command, long timeoutSeconds) throws SchedulerException {
        List<String> full = commandFor(node, command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new SchedulerException("'" + String.join(" ", full) + "' on node " + node
                        + " did not finish within " + timeoutSeconds + " s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new SchedulerException("cannot run '" + full.get(0) + "' for node " + node + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while running a command on node " + node, e);
        }
    }

    /**
     * Starts {@code command} on {@code node} with its stdin a pipe (to talk to it) and its stdout
     * and stderr together; the caller waits for it and ends it.
     */
    public Process start(String node, List<String> command) throws SchedulerException {
        List<String> full = commandFor(node, command);
        try {
            return new ProcessBuilder(full).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new SchedulerException("cannot run '" + full.get(0) + "' for node " + node + ": " + e.getMessage(), e);
        }
    }

    private static String shortName(String host) {
        int dot = host.indexOf('.');
        return dot < 0 ? host : host.substring(0, dot);
    }
}
