package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.cryo.testsupport.Commands;
import org.cryo.testsupport.CountingJob;
import org.cryo.testsupport.EnvFile;
import org.cryo.testsupport.Waiting;

/**
 * The real two-host Grid Engine cluster scripts/sge/sge-up.sh started (scripts/test-all.sh
 * does): its environment file, qsub of a checkpointable job, and waiting.  No cluster is a test
 * failure, never a skip.  Every job's work is the counting program: START once, STEP 1..N, the
 * known RESULT, DONE; a job restarted from a context carries on after its last step.
 */
final class SgeCluster {
    static final Path ENV_FILE = Path.of(System.getProperty("cryo.sge.env", "/tmp/cryo-sge/sge.env"));
    static final Path HOME = Path.of(System.getProperty("cryo.home", "..")).toAbsolutePath().normalize();
    static final Path JOB_PROGRAM = CountingJob.program(HOME);
    /** Cryo's checkpointing environment, as the tests install it. */
    static final String CKPT_ENV = "cryo";
    /** The resource lock of the tests that run jobs on the cluster (they must not share its slots). */
    static final String LOCK = "sge-cluster";

    private static Map<String, String> environment;

    private SgeCluster() {
    }

    /** The variables sge-up.sh exported, on top of this process's; CRYO_NODE_EXEC reaches either host. */
    static synchronized Map<String, String> environment() {
        if (environment == null) {
            Map<String, String> env = EnvFile.overEnvironment(ENV_FILE,
                    "the Grid Engine test cluster is not up (run scripts/sge/sge-up.sh as root; scripts/test-all.sh does)");
            env.put("CRYO_NODE_EXEC", env.get("CRYO_SGE_NODE_EXEC"));
            environment = Map.copyOf(env);
        }
        return environment;
    }

    static List<String> hosts() {
        return List.of(environment().get("CRYO_SGE_HOSTS").split(" "));
    }

    /** Installs Cryo's environment in every queue (idempotent) and returns what it printed. */
    static String installCheckpointEnvironment() throws Exception {
        return run(Path.of("/"), List.of(cryo(), "sge", "install-ckpt-env", "--name", CKPT_ENV, "--when", "sxm"), Map.of(), 0);
    }

    /** A fresh working directory for one test's jobs (the local file system, which both hosts share). */
    static Path jobDir(String name) throws IOException {
        Path dir = Path.of(environment().getOrDefault("CRYO_SGE_JOBS_DIR", "/tmp/cryo-sge/jobs"))
                .resolve(name + "-" + System.nanoTime());
        return Files.createDirectories(dir);
    }

    /**
     * A job script whose work (the counting program) runs under cr_run; it logs each run and its
     * exit.  While {@link #holdWork} holds it, the work waits before its next step.
     */
    static Path checkpointableScript(Path dir, int steps, double secondsPerStep) throws IOException {
        String script = "#!/bin/bash\n"
                + "echo \"run ${RESTARTED:-0} on $(hostname) at $(date +%s.%N)\"\n"
                + HOME.resolve("bin/cr_run") + " /usr/bin/python3 " + JOB_PROGRAM + " progress.txt " + steps + " "
                + secondsPerStep + " " + dir.resolve("gate") + "\n"
                + "status=$?; echo \"exit $status\"; exit $status\n";
        Path file = dir.resolve("job.sh");
        Files.writeString(file, script);
        file.toFile().setExecutable(true, false);
        return file;
    }

    /** qsub from {@code dir} (cwd there, output joined into job.out); returns the job number. */
    static String qsub(Path dir, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("qsub", "-terse", "-cwd", "-j", "y", "-o",
                dir.resolve("job.out").toString(), "-N", "cryotest"));
        command.addAll(List.of(arguments));
        command.add(dir.resolve("job.sh").toString());
        String out = run(dir, command, Map.of(), 0).strip();
        if (!out.matches("\\d+")) {
            fail("qsub printed no job number: " + out);
        }
        return out;
    }

    /** A checkpointable job (Cryo's environment, rerunnable) that has done a few steps. */
    static String startCheckpointableJob(Path dir, int steps, double secondsPerStep, String... qsubArguments)
            throws Exception {
        checkpointableScript(dir, steps, secondsPerStep);
        List<String> arguments = new ArrayList<>(List.of("-ckpt", CKPT_ENV, "-r", "y"));
        arguments.addAll(List.of(qsubArguments));
        String jobId = qsub(dir, arguments.toArray(String[]::new));
        awaitSteps(dir, jobId, 3);
        return jobId;
    }

    /** The job's work waits before its next step until {@link #releaseWork} (it runs, it is not stopped). */
    static void holdWork(Path dir) throws IOException {
        Files.writeString(dir.resolve("gate"), "");
    }

    static void releaseWork(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve("gate"));
    }

    static void awaitSteps(Path dir, String jobId, int steps) throws InterruptedException {
        waitUntil("job " + jobId + " to do " + steps + " steps", 90, () -> stepsDone(dir.resolve("progress.txt")) >= steps);
    }

    /** START once, STEP 1..N once each and in order, the known RESULT, DONE. */
    static List<String> assertFinishedCorrectlyOnce(Path dir, String jobId, int steps) throws Exception {
        Path progress = dir.resolve("progress.txt");
        waitUntil("job " + jobId + " to finish", 120, () -> done(progress));
        return CountingJob.assertStepsOnceAndResult(progress, jobId, steps, expectedResult(steps));
    }

    /** The runs job.sh logged: "run RESTARTED on HOST at TIME". */
    static List<String> runs(Path dir) {
        return lines(dir.resolve("job.out")).stream().filter(l -> l.startsWith("run ")).toList();
    }

    static boolean restarted(Path dir) {
        return lines(dir.resolve("job.out")).stream().anyMatch(l -> l.contains("restarting from"));
    }

    /** qstat's state letters of the job ("" once it has left qstat). */
    static String states(String jobId) {
        try {
            Result r = execute(Path.of("/"), List.of("qstat", "-u", "*"), Map.of());
            for (String line : r.output().split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length > 4 && f[0].equals(jobId)) {
                    return f[4];
                }
            }
        } catch (Exception e) {
            return "?";
        }
        return "";
    }

    /** The host of the job's queue instance, "" when it has none. */
    static String hostOf(String jobId) {
        try {
            for (QstatXml.Listed l : QstatXml.jobList(run(Path.of("/"), List.of("qstat", "-xml", "-u", "*"), Map.of(), 0))) {
                if (l.jobId().equals(jobId)) {
                    return l.host();
                }
            }
        } catch (Exception | AssertionError e) {
            return "";
        }
        return "";
    }

    static String cryo() {
        return HOME.resolve("bin/cryo").toString();
    }

    static String qdel(String jobId) {
        try {
            return execute(Path.of("/"), List.of("qdel", "-f", jobId), Map.of()).output();
        } catch (Exception e) {
            return "";
        }
    }

    /** Ends the job (if still there) and waits until it has left its host, so that no process outlives the test. */
    static void cleanUp(String jobId) throws InterruptedException {
        if (jobId == null) {
            return;
        }
        if (!states(jobId).isEmpty()) {
            qdel(jobId);
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (!states(jobId).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
    }

    /** Runs {@code command} in {@code dir} with the cluster's environment plus {@code env}; fails unless it exits with {@code status}. */
    static String run(Path dir, List<String> command, Map<String, String> env, int status) throws Exception {
        Result result = execute(dir, command, env);
        if (result.status() != status) {
            fail(command + " exited with " + result.status() + ", not " + status + ": " + result.output().strip());
        }
        return result.output();
    }

    record Result(int status, String output) {
    }

    /** {@code command} with the cluster's environment plus {@code env}; only the JVM that loads libdrmaa needs GLIBC_TUNABLES. */
    static Result execute(Path dir, List<String> command, Map<String, String> env) throws Exception {
        Map<String, String> add = new HashMap<>(environment());
        add.remove("GLIBC_TUNABLES");
        add.putAll(env);
        Commands.Result result = Commands.execute(dir, command, add, List.of("GLIBC_TUNABLES"), 150);
        return new Result(result.status(), result.output());
    }

    static void waitUntil(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        Waiting.waitUntil(what, seconds, condition);
    }

    static List<String> lines(Path file) {
        return CountingJob.lines(file);
    }

    static int stepsDone(Path progress) {
        return CountingJob.stepsDone(progress);
    }

    static boolean done(Path progress) {
        return CountingJob.done(progress);
    }

    static String expectedResult(int steps) throws Exception {
        return run(Path.of("/"), List.of("/usr/bin/python3", JOB_PROGRAM.toString(), "--expected",
                Integer.toString(steps)), Map.of(), 0).strip();
    }
}
