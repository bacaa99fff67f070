package org.cryo.slurm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.scheduler.SchedulerException;

/**
 * What slurmrestd v0.0.38 cannot do, done with {@code scontrol}: requeue a running job (no REST
 * version up to v0.0.41 can), requeue-and-hold, make a requeued job eligible now (it would wait
 * ~120 s for its BeginTime), suspend/resume (REST only has SIGSTOP), and drain/resume a node
 * (no node update before v0.0.39).
 */
public final class SlurmCommands {
    private static final long TIMEOUT_SECONDS = 60;

    private final String scontrol;

    public SlurmCommands(String scontrol) {
        this.scontrol = scontrol;
    }

    public void requeue(String jobId) throws SchedulerException {
        run("requeue", jobId);
    }

    public void requeueHold(String jobId) throws SchedulerException {
        run("requeuehold", jobId);
    }

    public void release(String jobId) throws SchedulerException {
        run("release", jobId);
    }

    /** A requeued job waits for BeginTime (now + ~120 s); a checkpointed one may start at once. */
    public void startNow(String jobId) throws SchedulerException {
        run("update", "JobId=" + jobId, "StartTime=now");
    }

    public void suspend(String jobId) throws SchedulerException {
        run("suspend", jobId);
    }

    public void resume(String jobId) throws SchedulerException {
        run("resume", jobId);
    }

    public void drainNode(String node, String reason) throws SchedulerException {
        run("update", "NodeName=" + node, "State=DRAIN", "Reason=" + reason);
    }

    public void resumeNode(String node) throws SchedulerException {
        run("update", "NodeName=" + node, "State=RESUME");
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
        String sacctmgr = scontrol.contains("/") ? scontrol.substring(0, scontrol.lastIndexOf('/') + 1) + "sacctmgr" : "sacctmgr";
        String output = runProgram(sacctmgr, "-n", "-P", "show", "user", user, "format=adminlevel").strip();
        return output.isEmpty() ? "None" : output.split("\n")[0].strip();
    }

    /** Runs {@code scontrol ARGS}; its own one-line error becomes the message. */
    String run(String... args) throws SchedulerException {
        return runProgram(scontrol, args);
    }

    private static String runProgram(String program, String... args) throws SchedulerException {
        String scontrol = program;
        List<String> command = new ArrayList<>(List.of(program));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // A JWT in SLURM_JWT would switch scontrol from munge to JWT auth.
        builder.environment().remove("SLURM_JWT");
        try {
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new SchedulerException("'" + name(program) + " " + String.join(" ", args) + "' timed out");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new SchedulerException(name(program) + " " + String.join(" ", args) + ": "
                        + (output.isEmpty() ? "exit status " + process.exitValue() : lastLine(output)));
            }
            return output;
        } catch (IOException e) {
            throw new SchedulerException("cannot run " + scontrol + ": " + e.getMessage(), e);
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
        return lines[lines.length - 1].replaceFirst("^(scontrol|sacctmgr): error: ", "");
    }
}
