package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real Slurm cluster scripts/slurm/slurm-up.sh started (scripts/test-all.sh does): its
 * environment file, sbatch, and waiting.  No cluster is a test failure, never a skip.
 */
final class TestCluster {
    static final Path ENV_FILE = Path.of(System.getProperty("cryo.slurm.env", "/tmp/cryo-slurm/slurm.env"));
    static final Path HOME = Path.of(System.getProperty("cryo.home", "..")).toAbsolutePath().normalize();
    static final Path JOB_PROGRAM = HOME.resolve("plugin-slurm/src/test/resources/counting_job.py");
    private static final Pattern EXPORT = Pattern.compile("^export ([A-Z_0-9]+)=\"?([^\"#]*?)\"?\\s*(#.*)?$");

    private TestCluster() {
    }

    /** The variables slurm-up.sh exported, on top of this process's environment. */
    static Map<String, String> environment() {
        if (!Files.isReadable(ENV_FILE)) {
            fail("the Slurm test cluster is not up: " + ENV_FILE + " is missing (run scripts/slurm/slurm-up.sh as root;"
                    + " scripts/test-all.sh does)");
        }
        Map<String, String> env = new HashMap<>(System.getenv());
        try {
            for (String line : Files.readAllLines(ENV_FILE)) {
                Matcher matcher = EXPORT.matcher(line.strip());
                if (matcher.matches()) {
                    env.put(matcher.group(1), matcher.group(2).strip());
                }
            }
        } catch (IOException e) {
            fail("cannot read " + ENV_FILE + ": " + e);
        }
        return env;
    }

    /** A fresh working directory for one test's jobs (shared storage: both nodes see /tmp). */
    static Path jobDir(String name) throws IOException {
        Path dir = Path.of(environment().getOrDefault("CRYO_SLURM_JOBS_DIR", "/tmp/cryo-slurm/jobs"))
                .resolve(name + "-" + System.nanoTime());
        return Files.createDirectories(dir);
    }

    /** A batch script whose work (the counting program) runs under cr_run. */
    static Path checkpointableScript(Path dir, int steps, double secondsPerStep) throws IOException {
        String script = "#!/bin/bash\n"
                + "echo \"run ${SLURM_RESTART_COUNT:-0} on $(hostname)\"\n"
                + HOME.resolve("bin/cr_run") + " /usr/bin/python3 " + JOB_PROGRAM + " progress.txt " + steps + " "
                + secondsPerStep + "\n"
                + "echo \"exit $?\"\n";
        Path file = dir.resolve("job.sh");
        Files.writeString(file, script);
        return file;
    }

    /** sbatch (requeueable, output appended across runs) from {@code dir}; returns the job id. */
    static String sbatch(Path dir, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("sbatch", "--parsable", "--requeue",
                "--open-mode=append", "-o", dir.resolve("job.out").toString()));
        command.addAll(List.of(arguments));
        return run(dir, command).strip();
    }

    static String run(Path dir, List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().remove("SLURM_JWT");
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(command + " timed out");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            fail(command + " failed: " + output.strip());
        }
        return output;
    }

    static void scancel(String jobId) {
        try {
            run(Path.of("/"), List.of("scancel", jobId));
        } catch (Exception | AssertionError ignored) {
            // best effort clean-up
        }
    }

    static void waitUntil(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(200);
        }
        fail("timed out after " + seconds + " s waiting for " + what);
    }

    static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    static int stepsDone(Path progress) {
        return (int) lines(progress).stream().filter(line -> line.startsWith("STEP ")).count();
    }

    static boolean done(Path progress) {
        return lines(progress).contains("DONE");
    }

    /** What the counting program must print as RESULT for {@code steps} steps. */
    static String expectedResult(int steps) throws Exception {
        return run(Path.of("/"), List.of("/usr/bin/python3", JOB_PROGRAM.toString(), "--expected",
                Integer.toString(steps))).strip();
    }
}
