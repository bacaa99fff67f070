package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryo.testsupport.Commands;
import org.cryo.testsupport.CountingJob;
import org.cryo.testsupport.EnvFile;
import org.cryo.testsupport.Waiting;

/**
 * The real Slurm cluster the tests run on, named by the system property {@code cryo.slurm.env}
 * (its environment file): Slurm 22.05 from scripts/slurm/slurm-up.sh (/tmp/cryo-slurm/slurm.env,
 * the default) or Slurm 24.11 from scripts/trixie/slurm24-up.sh (/tmp/cryo-slurm24/slurm.env);
 * plugin-slurm's pom runs the suite once on each.  Its environment, sbatch, and waiting.  A
 * cluster whose clients do not run on this host (24.11's run in the Debian 13 tree) names in
 * CRYO_SLURM_EXEC the prefix that runs a command where they do: every command that talks to
 * Slurm goes through {@link #onCluster}.  No cluster is a test failure, never a skip.
 */
final class TestCluster {
    static final Path ENV_FILE = Path.of(System.getProperty("cryo.slurm.env", "/tmp/cryo-slurm/slurm.env"));
    static final Path HOME = Path.of(System.getProperty("cryo.home", "..")).toAbsolutePath().normalize();
    static final Path JOB_PROGRAM = CountingJob.program(HOME);

    /** The resource lock of the tests that must not run their jobs concurrently. */
    static final String LOCK = "slurm-cluster";

    private TestCluster() {
    }

    /** START once, STEP 1..N once each and in order, the known RESULT, DONE. */
    static List<String> assertFinishedCorrectlyOnce(Path dir, String jobId, int steps, long timeoutSeconds)
            throws Exception {
        Path progress = dir.resolve("progress.txt");
        waitUntil("job " + jobId + " to finish", timeoutSeconds, () -> done(progress));
        return CountingJob.assertStepsOnceAndResult(progress, jobId, steps, expectedResult(steps));
    }

    /** The job id in sbatch's "Submitted batch job N". */
    static String submittedJobId(String sbatchOutput) {
        Matcher matcher = Pattern.compile("Submitted batch job (\\d+)").matcher(sbatchOutput);
        if (!matcher.find()) {
            fail("no job id in: " + sbatchOutput);
        }
        return matcher.group(1);
    }

    /** The variables slurm-up.sh exported, on top of this process's environment. */
    static Map<String, String> environment() {
        return EnvFile.overEnvironment(ENV_FILE, "the Slurm test cluster is not up (run scripts/slurm/slurm-up.sh or"
                + " scripts/trixie/slurm24-up.sh as root; scripts/test-all.sh does)");
    }

    /**
     * {@code command} where the cluster's Slurm clients run: as it is on the 22.05 cluster, after
     * the CRYO_SLURM_EXEC prefix on 24.11 (it keeps the environment and working directory).
     */
    static List<String> onCluster(List<String> command) {
        String prefix = environment().getOrDefault("CRYO_SLURM_EXEC", "");
        List<String> full = new java.util.ArrayList<>();
        if (!prefix.isBlank()) {
            full.addAll(List.of(prefix.strip().split("\\s+")));
        }
        full.addAll(command);
        return full;
    }

    /**
     * {@code command} on compute node {@code node}, as the adapter runs it there: the cluster's
     * CRYO_NODE_EXEC with %n replaced (22.05: scripts/slurm/on-node.sh, 24.11: on-node24.sh).
     */
    static List<String> onNode(String node, List<String> command) {
        String exec = environment().getOrDefault("CRYO_NODE_EXEC", "");
        if (exec.isBlank()) {
            fail("the cluster's environment file names no CRYO_NODE_EXEC");
        }
        List<String> full = new java.util.ArrayList<>();
        for (String word : exec.strip().split("\\s+")) {
            full.add(word.replace("%n", node));
        }
        full.addAll(command);
        return full;
    }

    /** scontrol ARGS where the cluster's clients run; fails unless it exits 0. */
    static String scontrol(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("scontrol"));
        command.addAll(List.of(arguments));
        return run(Path.of("/"), onCluster(command));
    }

    /**
     * Starts whatever of the cluster is not running (its up script is idempotent: a killed
     * slurmd is started again in its node's namespaces, from a clean environment on 24.11).
     * Its output goes to {@code log}, not to this JVM: the daemons it starts would keep a pipe open.
     */
    static void startWhatIsDown(Path log) throws Exception {
        String script = release().startsWith("22.") ? "scripts/slurm/slurm-up.sh" : "scripts/trixie/slurm24-up.sh";
        Commands.Result result = Commands.execute(Path.of("/"), List.of("bash", "-c",
                "exec bash \"$0\" > \"$1\" 2>&1 < /dev/null", HOME.resolve(script).toString(), log.toString()),
                Map.of(), List.of("SLURM_JWT", "SLURM_CONF"), 180);
        if (result.status() != 0) {
            fail(script + " exited with " + result.status() + ": see " + log);
        }
    }

    /** The Slurm release the cluster says it runs ("22.05.8", "24.11.5"); 22.05 if its env file does not say. */
    static String release() {
        return environment().getOrDefault("CRYO_SLURM_RELEASE", "22.05");
    }

    /** A fresh working directory for one test's jobs (shared storage: both nodes see /tmp). */
    static Path jobDir(String name) throws IOException {
        Path dir = Path.of(environment().getOrDefault("CRYO_SLURM_JOBS_DIR", "/tmp/cryo-slurm/jobs"))
                .resolve(name + "-" + System.nanoTime());
        return Files.createDirectories(dir);
    }

    /** A batch script that checkpoints and requeues itself on SIGUSR1 (cryo-slurm.sh), the work under cr_run. */
    static Path requeueableScript(Path dir, int steps, double secondsPerStep, String... crRunOptions) throws IOException {
        String script = "#!/bin/bash\n"
                + "echo \"run ${SLURM_RESTART_COUNT:-0} on $(hostname) at $(date +%s.%N)\"\n"
                + "source " + HOME.resolve("plugin-slurm/bin/cryo-slurm.sh") + "\n"
                + "cr_run_requeueable " + String.join("", java.util.Arrays.stream(crRunOptions).map(o -> o + " ").toList())
                + "/usr/bin/python3 " + JOB_PROGRAM + " progress.txt " + steps + " " + secondsPerStep + "\n"
                + "status=$?; echo \"exit $status at $(date +%s.%N)\"; exit $status\n";
        Path file = dir.resolve("job.sh");
        Files.writeString(file, script);
        return file;
    }

    /** The cryo launcher of this tree (bin/cryo; plugin-slurm's classes come from target/classes). */
    static String cryo() {
        return HOME.resolve("bin/cryo").toString();
    }

    /**
     * A batch script whose work (the counting program) runs under cr_run.  While
     * {@link #holdWork} holds it, the work waits before its next step (it runs, it is not stopped).
     */
    static Path checkpointableScript(Path dir, int steps, double secondsPerStep, String... crRunOptions) throws IOException {
        String script = "#!/bin/bash\n"
                + "echo \"run ${SLURM_RESTART_COUNT:-0} on $(hostname)\"\n"
                + HOME.resolve("bin/cr_run") + " " + String.join("", java.util.Arrays.stream(crRunOptions).map(o -> o + " ").toList())
                + "/usr/bin/python3 " + JOB_PROGRAM + " progress.txt " + steps + " "
                + secondsPerStep + " " + dir.resolve("gate") + "\n"
                + "status=$?; echo \"exit $status\"; exit $status\n";
        Path file = dir.resolve("job.sh");
        Files.writeString(file, script);
        return file;
    }

    /** The job's work waits before its next step until {@link #releaseWork}: a slow machine cannot let it end too early. */
    static void holdWork(Path dir) throws IOException {
        Files.writeString(dir.resolve("gate"), "");
    }

    static void releaseWork(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve("gate"));
    }

    /** sbatch (requeueable, output appended across runs) from {@code dir}; returns the job id. */
    static String sbatch(Path dir, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("sbatch", "--parsable", "--requeue",
                "--open-mode=append", "-o", dir.resolve("job.out").toString()));
        command.addAll(List.of(arguments));
        return run(dir, onCluster(command)).strip();
    }

    /**
     * What a job needs to run 'cryo slurm' itself (the signal trap of cryo-slurm.sh): slurmrestd
     * at an address both nodes reach, a token, and how to reach the other node.
     */
    static Map<String, String> jobEnvironment() {
        Map<String, String> cluster = environment();
        Map<String, String> env = new HashMap<>();
        env.put("SLURM_REST_URL", cluster.getOrDefault("CRYO_JOB_REST_URL", cluster.get("SLURM_REST_URL")));
        for (String name : List.of("SLURM_REST_USER_NAME", "SLURM_REST_TOKEN", "CRYO_NODE_EXEC")) {
            if (cluster.containsKey(name)) {
                env.put(name, cluster.get(name));
            }
        }
        return env;
    }

    static String run(Path dir, List<String> command) throws Exception {
        return run(dir, command, jobEnvironment(), 0);
    }

    /** Runs {@code command} in {@code dir} with {@code env} added; fails unless it exits with {@code status}. */
    static String run(Path dir, List<String> command, Map<String, String> env, int status) throws Exception {
        Result result = execute(dir, command, env);
        if (result.status() != status) {
            fail(command + " exited with " + result.status() + ", not " + status + ": " + result.output().strip());
        }
        return result.output();
    }

    /** What a command printed and its status ({@link Commands.Result}). */
    record Result(int status, String output) {
    }

    /**
     * Runs {@code command} (stdout and stderr together) with {@code env} added and returns status
     * and output; never with a SLURM_JWT, which would switch Slurm's clients from munge to JWT.
     */
    static Result execute(Path dir, List<String> command, Map<String, String> env) throws Exception {
        Map<String, String> add = new HashMap<>(env);
        add.remove("SLURM_JWT");
        Commands.Result result = Commands.execute(dir, command, add, List.of("SLURM_JWT"), 120);
        return new Result(result.status(), result.output());
    }

    /** A fresh working directory owned by {@code user}, for a job of that user. */
    static Path userJobDir(String user, String name) throws Exception {
        Path dir = jobDir(name);
        run(Path.of("/"), List.of("chown", user + ":", dir.toString()));
        return dir;
    }

    /**
     * Creates {@code user} (no home, a shell for its jobs) if missing, on this host and, with the
     * same user and group ids, where the cluster's jobs run (24.11: the tree has its own
     * /etc/passwd; the ids must match, since both sides see the same job directories).
     */
    static void ensureUser(String user) throws Exception {
        if (execute(Path.of("/"), List.of("id", user), Map.of()).status() != 0) {
            run(Path.of("/"), List.of("useradd", "--no-create-home", "--shell", "/bin/bash", user));
        }
        if (onCluster(List.of()).isEmpty()) {
            return;
        }
        String uid = run(Path.of("/"), List.of("id", "-u", user), Map.of(), 0).strip();
        String gid = run(Path.of("/"), List.of("id", "-g", user), Map.of(), 0).strip();
        String group = run(Path.of("/"), List.of("id", "-gn", user), Map.of(), 0).strip();
        if (execute(Path.of("/"), onCluster(List.of("id", user)), Map.of()).status() != 0) {
            run(Path.of("/"), onCluster(List.of("sh", "-c", "getent group \"$1\" >/dev/null || groupadd -g \"$2\" \"$1\"; "
                    + "useradd --no-create-home --shell /bin/bash -u \"$3\" -g \"$2\" \"$4\"", "sh", group, gid, uid, user)),
                    Map.of(), 0);
        }
        String inCluster = run(Path.of("/"), onCluster(List.of("id", "-u", user)), Map.of(), 0).strip();
        if (!inCluster.equals(uid)) {
            fail("user " + user + " is uid " + uid + " here but " + inCluster + " where the cluster's jobs run");
        }
    }

    /**
     * sbatch as {@code user} from {@code dir}: the job gets the REST address and node access of
     * {@link #jobEnvironment} but none of root's credentials (its cryo asks 'scontrol token' as the user).
     */
    static String sbatchAs(String user, Path dir, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("runuser", "-u", user, "--", "sbatch", "--parsable",
                "--requeue", "--open-mode=append", "-o", dir.resolve("job.out").toString()));
        command.addAll(List.of(arguments));
        command = onCluster(command);
        Map<String, String> cluster = environment();
        Map<String, String> add = new HashMap<>();
        add.put("SLURM_REST_URL", cluster.getOrDefault("CRYO_JOB_REST_URL", cluster.get("SLURM_REST_URL")));
        add.put("CRYO_NODE_EXEC", cluster.get("CRYO_NODE_EXEC"));
        add.put("HOME", "/tmp");
        Commands.Result result = Commands.execute(dir, command, add,
                List.of("SLURM_JWT", "SLURM_REST_TOKEN", "SLURM_REST_USER_NAME"), 60);
        if (result.status() != 0) {
            fail(command + " exited with " + result.status() + ": " + result.output().strip());
        }
        return result.output().strip();
    }

    /** A field of Slurm's own record of the job ({@code scontrol show job}): JobState, ExitCode, Restarts ... */
    static String slurmRecord(String jobId, String field) throws Exception {
        String record = run(Path.of("/"), onCluster(List.of("scontrol", "show", "job", jobId)));
        Matcher matcher = Pattern.compile("(?:^|\\s)" + field + "=(\\S*)").matcher(record);
        if (!matcher.find()) {
            fail("no " + field + " in: " + record);
        }
        return matcher.group(1);
    }

    static void scancel(String jobId) {
        try {
            run(Path.of("/"), onCluster(List.of("scancel", jobId)));
        } catch (Exception | AssertionError ignored) {
            // best effort clean-up
        }
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

    /** What the counting program must print as RESULT for {@code steps} steps (the jobs' python computes it). */
    static String expectedResult(int steps) throws Exception {
        return run(Path.of("/"), onCluster(List.of("/usr/bin/python3", JOB_PROGRAM.toString(), "--expected",
                Integer.toString(steps)))).strip();
    }
}
