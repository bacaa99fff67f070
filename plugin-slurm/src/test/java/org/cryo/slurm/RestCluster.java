package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The REST tests' view of whichever test cluster {@link TestCluster#ENV_FILE} names (22.05 from
 * scripts/slurm, or 24.11 from scripts/trixie, whose clients run through CRYO_SLURM_EXEC): its
 * Slurm commands, an scontrol for the adapter that talks to that cluster, and a second slurmrestd
 * that serves only some API versions.
 */
final class RestCluster {
    private RestCluster() {
    }

    /**
     * The cluster's variables, CRYO_SCONTROL pointing at an scontrol of that cluster with the
     * sdiag and sacctmgr the adapter finds beside it (scripts/trixie/bin has no sdiag).
     */
    static Map<String, String> environment() throws IOException {
        Map<String, String> env = new HashMap<>(TestCluster.environment());
        env.remove("CRYO_SLURM_API");
        String exec = env.get("CRYO_SLURM_EXEC");
        if (exec != null && !exec.isBlank()) {
            Path dir = Files.createDirectories(Path.of(env.getOrDefault("CRYO_SLURM_JOBS_DIR", "/tmp")).resolve("rest-bin"));
            for (String command : List.of("scontrol", "sdiag", "sacctmgr")) {
                Path wrapper = dir.resolve(command);
                Files.writeString(wrapper, "#!/bin/sh\nexec " + exec + " " + command + " \"$@\"\n");
                Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            env.put("CRYO_SCONTROL", dir.resolve("scontrol").toString());
        }
        return env;
    }

    /** Whether the cluster is 24.11 (its slurmrestd has openapi/slurmctld and data_parser plugins). */
    static boolean isDataParserCluster() {
        return !TestCluster.release().startsWith("22.");
    }

    /** A Slurm client of the cluster (sbatch, scontrol, ...); fails unless it exits 0. */
    static String slurm(String... command) throws Exception {
        return TestCluster.run(Path.of("/"), clientCommand(List.of(command)), Map.of(), 0);
    }

    static List<String> clientCommand(List<String> command) {
        return TestCluster.onCluster(command);
    }

    /** A pending job (it may start in an hour) that sleeps when started. */
    static String pendingJob() throws Exception {
        return slurm("sbatch", "--parsable", "--requeue", "-o", "/dev/null", "--chdir=/tmp", "--begin=now+1hour",
                "--wrap", "sleep 300").strip();
    }

    /** A port nothing listens on. */
    static int closedPort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * A second slurmrestd of the cluster on 127.0.0.1:{@code port}, with JWT, loading only
     * {@code versions}: 24.11 takes data_parser plugins ({@code -d v0.0.40,v0.0.41}), 22.05 its
     * versioned openapi plugins ({@code -s openapi/v0.0.37}).  Answers before this returns.
     */
    static Process startSlurmrestd(int port, List<String> versions, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "SLURM_JWT=daemon", "/usr/sbin/slurmrestd",
                "-u", "slurmrest", "-a", "rest_auth/jwt"));
        if (isDataParserCluster()) {
            command.addAll(List.of("-g", "slurmrest", "-s", "openapi/slurmctld", "-d", String.join(",", versions)));
        } else {
            command.addAll(List.of("-s", String.join(",", versions.stream().map(v -> "openapi/" + v).toList())));
        }
        command.add("127.0.0.1:" + port);
        ProcessBuilder builder = new ProcessBuilder(clientCommand(command)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().remove("SLURM_JWT");
        Process process = builder.start();
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                fail("slurmrestd " + versions + " exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return process;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        stop(process);
        fail("slurmrestd " + versions + " does not listen on " + port + ": " + Files.readString(log));
        return null;
    }

    /** Ends a slurmrestd of {@link #startSlurmrestd} and waits for it (no leftovers). */
    static void stop(Process slurmrestd) throws InterruptedException {
        if (slurmrestd == null) {
            return;
        }
        slurmrestd.destroy();
        if (!slurmrestd.waitFor(10, TimeUnit.SECONDS)) {
            slurmrestd.destroyForcibly();
            slurmrestd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static void scancel(String jobId) {
        try {
            slurm("scancel", jobId);
        } catch (Exception | AssertionError ignored) {
            // best effort clean-up
        }
    }
}
