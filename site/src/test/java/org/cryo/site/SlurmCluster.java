package org.cryo.site;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryo.engine.CryoHome;
import org.cryo.testsupport.Commands;
import org.cryo.testsupport.CountingJob;
import org.cryo.testsupport.EnvFile;
import org.cryo.testsupport.Waiting;

/**
 * The Slurm 22.05 test cluster (scripts/slurm/slurm-up.sh; its environment file
 * /tmp/cryo-slurm/slurm.env), as the console's browser test uses it: sbatch, scontrol, a
 * checkpointable job (the counting program under cr_run), Slurm's own tokens and JWT key.
 */
final class SlurmCluster {
    static final Path ENV_FILE = Path.of("/tmp/cryo-slurm/slurm.env");
    static final Path JWT_KEY = Path.of("/var/lib/slurm/slurmctld/jwt_hs256.key");
    static final Path HOME = CryoHome.find().orElseThrow();

    private SlurmCluster() {
    }

    static boolean isUp() {
        return Files.exists(ENV_FILE);
    }

    static Map<String, String> environment() {
        return EnvFile.overEnvironment(ENV_FILE, "the Slurm test cluster is not up (scripts/slurm/slurm-up.sh)");
    }

    static List<String> nodes() {
        return List.of(environment().get("SLURM_NODES").split(" "));
    }

    /** A fresh working directory for the test's job (shared by both nodes). */
    static Path jobDir(String name) throws Exception {
        return Files.createDirectories(Path.of(environment().getOrDefault("CRYO_SLURM_JOBS_DIR", "/tmp/cryo-slurm/jobs"))
                .resolve(name + "-" + System.nanoTime()));
    }

    /** A batch script whose work (the counting program) runs under cr_run with {@code crRunOptions}. */
    static Path checkpointableScript(Path dir, int steps, double secondsPerStep, String crRunOptions) throws Exception {
        String script = "#!/bin/bash\n"
                + "echo \"run ${SLURM_RESTART_COUNT:-0} on $(hostname)\"\n"
                + HOME.resolve("bin/cr_run") + " " + crRunOptions + " /usr/bin/python3 " + CountingJob.program(HOME)
                + " progress.txt " + steps + " " + secondsPerStep + "\n";
        return Files.writeString(dir.resolve("job.sh"), script);
    }

    /** sbatch (requeueable, output appended across runs) from {@code dir}; returns the job id. */
    static String sbatch(Path dir, Path script) throws Exception {
        return run(dir, List.of("sbatch", "--parsable", "--requeue", "--open-mode=append", "-o",
                dir.resolve("job.out").toString(), script.toString())).strip();
    }

    /** A field of {@code scontrol show job}. */
    static String record(String jobId, String field) throws Exception {
        String record = run(Path.of("/"), List.of("scontrol", "show", "job", jobId));
        Matcher m = Pattern.compile("(?:^|\\s)" + field + "=(\\S*)").matcher(record);
        if (!m.find()) {
            fail("no " + field + " in: " + record);
        }
        return m.group(1);
    }

    static boolean runsOn(String jobId, String node) {
        try {
            return record(jobId, "JobState").equals("RUNNING") && record(jobId, "NodeList").equals(node);
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    /** A token of Slurm's own for {@code user}, as {@code scontrol token} makes it. */
    static String token(String user) throws Exception {
        return run(Path.of("/"), List.of("scontrol", "token", "username=" + user, "lifespan=3600")).strip()
                .replaceFirst("^SLURM_JWT=", "");
    }

    static void scontrol(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("scontrol"));
        command.addAll(List.of(arguments));
        run(Path.of("/"), command);
    }

    static void quietly(String... scontrolArguments) {
        try {
            scontrol(scontrolArguments);
        } catch (Exception | AssertionError ignored) {
            // best-effort clean-up (a node that was not drained cannot be resumed)
        }
    }

    static void scancel(String jobId) {
        try {
            run(Path.of("/"), List.of("scancel", jobId));
        } catch (Exception | AssertionError ignored) {
            // best-effort clean-up
        }
    }

    static void waitUntil(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        Waiting.waitUntil(what, seconds, condition);
    }

    /** Runs a Slurm client (munge, never a SLURM_JWT); fails unless it exits 0. */
    static String run(Path dir, List<String> command) throws Exception {
        Map<String, String> cluster = environment();
        Map<String, String> env = new HashMap<>();
        env.put("SLURM_REST_URL", cluster.getOrDefault("CRYO_JOB_REST_URL", cluster.get("SLURM_REST_URL")));
        for (String name : List.of("SLURM_REST_USER_NAME", "SLURM_REST_TOKEN", "CRYO_NODE_EXEC")) {
            if (cluster.containsKey(name)) {
                env.put(name, cluster.get(name));
            }
        }
        Commands.Result result = Commands.execute(dir, command, env, List.of("SLURM_JWT"), 120);
        if (result.status() != 0) {
            fail(command + " exited with " + result.status() + ": " + result.output().strip());
        }
        return result.output();
    }
}
