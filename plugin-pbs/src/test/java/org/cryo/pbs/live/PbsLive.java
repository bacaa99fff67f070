package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenPBS on this host for the live suite: its clients, the job user, the MoM's checkpoint
 * actions installed with {@code cryo pbs install-mom-actions --apply}, checkpointable jobs whose
 * work (the counting program) runs under cr_run, and their state as the server sees it.
 *
 * <p>Where no PBS answers (no {@code PBS_EXEC}, no {@code /etc/pbs.conf}, or {@code qstat -B}
 * fails) every live test is skipped with one message saying why: the suite never fails a build
 * on a machine without PBS.  It runs as root on a MoM host (it installs the MoM actions, acts as
 * operator and looks at the job's processes) and submits as an unprivileged user (PBS refuses
 * root's jobs): {@code -Dcryo.pbs.user} (default {@code pbsuser}) and, for a second owner,
 * {@code -Dcryo.pbs.user2} (default {@code pbsuser2}).  See plugin-pbs/LIVE.md.
 *
 * <p>State is always (job_state, substate, Hold_Types) together, read from {@code qstat -fx -F json}
 * as text (PBS 23.06 writes numeric-looking strings as JSON numbers).
 */
final class PbsLive {
    static final Path HOME = Path.of(System.getProperty("cryo.home", "..")).toAbsolutePath().normalize();
    static final Path JOBS = Path.of(System.getProperty("cryo.pbs.live.jobs", "/tmp/cryo-pbs-live/jobs"));
    static final String USER = setting("cryo.pbs.user", "CRYO_PBS_USER", "pbsuser");
    static final String OTHER_USER = setting("cryo.pbs.user2", "CRYO_PBS_USER2", "pbsuser2");
    /** The resource lock of the tests that run jobs (they must not share the node's CPUs). */
    static final String LOCK = "pbs-server";
    /** The adapter's one-line-per-action log ({@code CRYO_PBS_ACTION_LOG} of bin/cryo-pbs-action). */
    static final Path ACTION_LOG = Path.of("/var/log/cryo-pbs-actions.log");
    /** The figures the suite measures, appended one line each. */
    static final Path FIGURES = HOME.resolve("plugin-pbs/target/pbs-live-figures.txt");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    private static String unavailable;
    private static boolean checked;
    private static boolean installed;
    private static String here;

    private PbsLive() {
    }

    private static String setting(String property, String variable, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(variable);
        }
        return value == null || value.isBlank() ? fallback : value.strip();
    }

    /** Skips the calling test class (one message) unless a PBS server answers here and the suite may drive it. */
    static synchronized void assumePbs() {
        if (!checked) {
            unavailable = whyUnavailable();
            checked = true;
            if (unavailable != null) {
                System.err.println("plugin-pbs live suite skipped: " + unavailable);
            }
        }
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    private static String whyUnavailable() {
        Path conf = confFile();
        if (System.getenv("PBS_EXEC") == null && !Files.isRegularFile(conf)) {
            return "no PBS here (PBS_EXEC unset, no " + conf + "); run it on a PBS host, see plugin-pbs/LIVE.md";
        }
        Path qstat = bin("qstat");
        if (!Files.isExecutable(qstat)) {
            return "PBS's clients are not installed (" + qstat + " missing)";
        }
        Result b = execute(Path.of("/"), List.of(qstat.toString(), "-B"), 30);
        if (b.status() != 0) {
            return "the PBS server does not answer (qstat -B: " + b.lastLine() + "); start it, see plugin-pbs/LIVE.md";
        }
        if (!"0".equals(execute(Path.of("/"), List.of("id", "-u"), 10).output().strip())) {
            return "the live suite runs as root (it installs the MoM actions and acts as operator)";
        }
        for (String user : List.of(USER, OTHER_USER)) {
            String uid = execute(Path.of("/"), List.of("id", "-u", user), 10).output().strip();
            if (!uid.matches("\\d+") || uid.equals("0")) {
                return "no unprivileged job user '" + user + "' (set -Dcryo.pbs.user / -Dcryo.pbs.user2)";
            }
        }
        if (!Files.isExecutable(HOME.resolve("native/target/bin/cryo-engine"))) {
            return "Cryo is not built in " + HOME + " (make -C native)";
        }
        return null;
    }

    /** For the tests that move a job off a failing node: PBS here, a second MoM, Cryo's MoM actions installed. */
    static void assumeTwoNodesWithMomActions() {
        assumePbs();
        Assumptions.assumeTrue(nodes().size() >= 2, "moving a job off a failing node needs a second MoM; this PBS"
                + " has " + nodes());
        installMomActions();
    }

    static Path confFile() {
        return Path.of(Optional.ofNullable(System.getenv("PBS_CONF_FILE")).orElse("/etc/pbs.conf"));
    }

    /** PBS_EXEC (the variable, else pbs.conf's, else /opt/pbs). */
    static Path exec() {
        String exec = System.getenv("PBS_EXEC");
        if (exec == null) {
            exec = conf().getOrDefault("PBS_EXEC", "/opt/pbs");
        }
        return Path.of(exec);
    }

    static Path pbsHome() {
        return Path.of(Optional.ofNullable(System.getenv("PBS_HOME")).orElse(conf().getOrDefault("PBS_HOME", "/var/spool/pbs")));
    }

    private static Map<String, String> conf() {
        Map<String, String> values = new HashMap<>();
        try {
            for (String line : Files.readAllLines(confFile())) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) {
                    values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
                }
            }
        } catch (IOException e) {
            // no pbs.conf: the defaults
        }
        return values;
    }

    static Path bin(String client) {
        return exec().resolve("bin").resolve(client);
    }

    // ------------------------------------------------------------------ the MoM actions

    /**
     * {@code cryo pbs install-mom-actions --apply} (with {@code --server} while the server lacks its
     * settings: preempt_order C, root of this host an operator), once per run: the MoM lines
     * calling bin/cryo-pbs-action and a SIGHUP to the MoM.  {@link PbsInstallMomActionsLiveTest}
     * checks what it prints and that it is idempotent.
     */
    static synchronized String installMomActions() {
        if (installed) {
            return "";
        }
        String out = serverSettingsInPlace() ? cryo("pbs", "install-mom-actions", "--apply")
                : cryo("pbs", "install-mom-actions", "--apply", "--server");
        installed = true;
        waitUntil("the MoM to come back after its SIGHUP", 60, PbsLive::nodeFree);
        return out;
    }

    /** preempt_order C and root@HOST among the server's operators. */
    static boolean serverSettingsInPlace() {
        String sched = run(Path.of("/"), List.of(bin("qmgr").toString(), "-c", "list sched"), 60);
        String server = run(Path.of("/"), List.of(bin("qmgr").toString(), "-c", "list server"), 60);
        return sched.matches("(?s).*preempt_order = C\\s.*") && server.matches("(?s).*operators = [^\\n]*root@.*");
    }

    static String cryo(String... arguments) {
        List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/cryo").toString()));
        command.addAll(List.of(arguments));
        return run(Path.of("/"), command, 300);
    }

    static boolean nodeFree() {
        Result r = execute(Path.of("/"), List.of(bin("pbsnodes").toString(), "-av", "-F", "json"), 30);
        if (r.status() != 0) {
            return false;
        }
        try {
            JsonNode nodes = JSON.readTree(r.output()).path("nodes");
            for (JsonNode node : (Iterable<JsonNode>) nodes::elements) {
                if (node.path("state").asText().equals("free")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** The node's attributes as {@code pbsnodes -av -F json} shows them (missing: no such node). */
    static JsonNode nodeAttributes(String name) {
        String out = run(Path.of("/"), List.of(bin("pbsnodes").toString(), "-av", "-F", "json"), 60);
        try {
            return JSON.readTree(out).path("nodes").path(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The nodes PBS knows, by name. */
    static List<String> nodes() {
        Result r = execute(Path.of("/"), List.of(bin("pbsnodes").toString(), "-av", "-F", "json"), 30);
        List<String> names = new ArrayList<>();
        try {
            JSON.readTree(r.output()).path("nodes").fieldNames().forEachRemaining(names::add);
        } catch (IOException e) {
            fail("pbsnodes -av -F json: " + r.output());
        }
        return names;
    }

    // ------------------------------------------------------------------ jobs

    /** A fresh directory for one test's job, owned by the job's user (its catalog goes to .cryo in it). */
    static Path jobDir(String name, String user) {
        try {
            Files.createDirectories(JOBS);
            Path dir = Files.createDirectories(JOBS.resolve(name + "-" + System.nanoTime()));
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
            Files.setOwner(dir, owner);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * job.sh in {@code dir}: logs each run of the script to runs.log, then runs the counting program
     * under cr_run (progress.txt, {@code steps} steps, gated by the file "gate").
     */
    static void writeScript(Path dir, int steps, double secondsPerStep, boolean spin) {
        writeScript(dir, steps, secondsPerStep, spin, "");
    }

    /** The same, with options for cr_run ({@code --checkpoint-interval=3s}: periodic checkpoints of its own). */
    static void writeScript(Path dir, int steps, double secondsPerStep, boolean spin, String crRunOptions) {
        String program = HOME.resolve("plugin-pbs/src/test/resources/org/cryo/pbs/live/counting_job.py").toString();
        String script = "#!/bin/bash\n"
                + "cd " + dir + " || exit 1\n"
                + "echo \"run $PBS_JOBID sid $(ps -o sid= -p $$ | tr -d ' ') at $(date +%s.%N)\" >> runs.log\n"
                + HOME.resolve("bin/cr_run") + (crRunOptions.isEmpty() ? "" : " " + crRunOptions) + " /usr/bin/python3 " + program + " progress.txt " + steps + " "
                + secondsPerStep + " " + dir.resolve("gate") + (spin ? " spin" : "") + "\n"
                + "status=$?\necho \"exit $status\" >> runs.log\nexit $status\n";
        try {
            Path file = dir.resolve("job.sh");
            Files.writeString(file, script);
            file.toFile().setExecutable(true, false);
            file.toFile().setReadable(true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** job.sh in {@code dir} that only sleeps (a high-priority job that needs the node's CPUs). */
    static void writeSleepScript(Path dir, int seconds) {
        try {
            Path file = dir.resolve("job.sh");
            Files.writeString(file, "#!/bin/sh\nsleep " + seconds + "\n");
            file.toFile().setExecutable(true, false);
            file.toFile().setReadable(true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This host's name as PBS names its node (the suite acts on the jobs' processes here). */
    static synchronized String here() {
        if (here == null) {
            here = run(Path.of("/"), List.of("hostname", "-s"), 10).strip();
        }
        return here;
    }

    /**
     * qsub as {@code user} from {@code dir} (its PBS_O_WORKDIR); returns the job id.  Without a
     * {@code -l} of the caller's the job is placed on this host ({@code -l select=1:host=HERE}).
     */
    static String qsub(String user, Path dir, String... arguments) {
        List<String> command = new ArrayList<>(List.of(bin("qsub").toString(), "-f", "-m", "n", "-j", "oe", "-o",
                dir.resolve("job.out").toString(), "-N", "cryolive"));
        if (!List.of(arguments).contains("-l")) {
            command.addAll(List.of("-l", "select=1:host=" + here()));
        }
        command.addAll(List.of(arguments));
        command.add(dir.resolve("job.sh").toString());
        String id = asUser(user, dir, command, 0).strip();
        if (!id.matches("\\d+(\\[\\d*\\])?\\.[A-Za-z0-9.-]+")) {
            fail("qsub printed no job id: " + id);
        }
        return id;
    }

    /** A checkpointable job ({@code -c s}: held and preempted by checkpoint) that has done 3 steps and now waits at its gate. */
    static String startGatedJob(Path dir, int steps, String... qsubArguments) {
        writeScript(dir, steps, 0.2, false);
        String jobId = qsub(USER, dir, qsubArguments);
        awaitSteps(dir, jobId, 3);
        closeGate(dir);
        return jobId;
    }

    /**
     * A gated checkpointable job placed on {@code node} (every other node offline while it is placed,
     * so that it is free to run elsewhere later), R/42 there and waiting at its gate.
     */
    static String startGatedJobOn(String node, Path dir, int steps, String crRunOptions, String... qsubArguments) {
        List<String> others = nodes().stream().filter(n -> !n.equals(node)).toList();
        String jobId;
        try {
            others.forEach(n -> run(Path.of("/"), List.of(bin("qmgr").toString(), "-c", "set node " + n + " state = offline"), 60));
            writeScript(dir, steps, 0.2, false, crRunOptions);
            jobId = qsub(USER, dir, qsubArguments);
            awaitSteps(dir, jobId, 3);
            closeGate(dir);
        } finally {
            others.forEach(n -> execute(Path.of("/"), List.of(bin("qmgr").toString(), "-c", "set node " + n + " state = free"), 60));
        }
        JobState running = awaitState(jobId, "R/42", 60, s -> s.is("R", 42));
        assertEquals(node, running.execHost().split("/")[0], "the job started on " + node + ": " + running);
        return jobId;
    }

    static String asUser(String user, Path dir, List<String> command, int status) {
        List<String> argv = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        argv.addAll(command);
        return run(dir, argv, 120, status);
    }

    /** The work waits before its next step (it runs on, it is not stopped) until {@link #openGate}. */
    static void closeGate(Path dir) {
        try {
            Files.writeString(dir.resolve("gate"), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void openGate(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve("gate"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void awaitSteps(Path dir, String jobId, int steps) {
        waitUntil("job " + jobId + " to do " + steps + " steps (state " + state(jobId) + ")", 120,
                () -> stepsDone(dir) >= steps);
    }

    static int stepsDone(Path dir) {
        return (int) lines(dir.resolve("progress.txt")).stream().filter(l -> l.startsWith("STEP ")).count();
    }

    /** START once, STEP 1..N once each and in order, the known RESULT, DONE. */
    static List<String> assertFinishedCorrectlyOnce(Path dir, String jobId, int steps) {
        Path progress = dir.resolve("progress.txt");
        waitUntil("job " + jobId + " to finish its work (state " + state(jobId) + ")", 180,
                () -> lines(progress).contains("DONE"));
        List<String> lines = lines(progress);
        assertEquals(steps + 3, lines.size(), "progress of job " + jobId + ": " + lines);
        assertTrue(lines.get(0).startsWith("START "), lines.get(0));
        for (int i = 1; i <= steps; i++) {
            assertTrue(lines.get(i).startsWith("STEP " + i + " "), "line " + i + ": " + lines);
        }
        assertEquals("RESULT " + expectedResult(steps), lines.get(steps + 1));
        return lines;
    }

    static String expectedResult(int steps) {
        String program = HOME.resolve("plugin-pbs/src/test/resources/org/cryo/pbs/live/counting_job.py").toString();
        return run(Path.of("/"), List.of("/usr/bin/python3", program, "--expected", Integer.toString(steps)), 60).strip();
    }

    /** The job's context files in its catalog (PBS_O_WORKDIR/.cryo/JOBID/context.NNNNNN), oldest first. */
    static List<Path> contexts(Path dir, String jobId) {
        Path catalog = dir.resolve(".cryo").resolve(jobId);
        if (!Files.isDirectory(catalog)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(catalog)) {
            return files.filter(f -> f.getFileName().toString().matches("context\\.\\d+")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    // ------------------------------------------------------------------ the server's view

    /** (job_state, substate, Hold_Types) with what else the tests read, all as text. */
    record JobState(String state, int substate, String holdTypes, String exitStatus, String session, String comment,
                    String execHost, String runCount) {
        boolean is(String state, int substate) {
            return this.state.equals(state) && this.substate == substate;
        }

        @Override
        public String toString() {
            return state + "/" + substate + " Hold_Types=" + holdTypes + (exitStatus.isEmpty() ? "" : " Exit_status=" + exitStatus)
                    + " session_id=" + session + " run_count=" + runCount + (comment.isEmpty() ? "" : " comment='" + comment + "'");
        }
    }

    /** The job as {@code qstat -fx -F json} shows it; empty when the server has no such job. */
    static Optional<JobState> stateOf(String jobId) {
        Result r = execute(Path.of("/"), List.of(bin("qstat").toString(), "-fx", "-F", "json", jobId), 60);
        if (r.status() != 0) {
            return Optional.empty();
        }
        try {
            JsonNode job = JSON.readTree(r.stdout()).path("Jobs").path(jobId);
            if (job.isMissingNode()) {
                return Optional.empty();
            }
            return Optional.of(new JobState(text(job, "job_state"), Integer.parseInt(text(job, "substate")),
                    text(job, "Hold_Types"), text(job, "Exit_status"), text(job, "session_id"), text(job, "comment"),
                    text(job, "exec_host"), text(job, "run_count")));
        } catch (IOException | NumberFormatException e) {
            fail("qstat -fx -F json " + jobId + ": " + e.getMessage() + ": " + r.stdout());
            return Optional.empty();
        }
    }

    private static String text(JsonNode job, String key) {
        JsonNode value = job.path(key);
        return value.isMissingNode() || value.isNull() ? "" : value.isValueNode() ? value.asText() : value.toString();
    }

    static String state(String jobId) {
        return stateOf(jobId).map(JobState::toString).orElse("(no such job)");
    }

    /** Waits until the job's state satisfies {@code condition}; fails with the last state seen. */
    static JobState awaitState(String jobId, String what, long seconds, Predicate<JobState> condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Optional<JobState> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = stateOf(jobId);
            if (last.isPresent() && condition.test(last.get())) {
                return last.get();
            }
            sleep(100);
        }
        fail("job " + jobId + ": timed out after " + seconds + " s waiting for " + what + "; last state "
                + last.map(JobState::toString).orElse("(no such job)") + actionLogTail(jobId));
        return null;
    }

    /** The adapter's last action log lines for the job, for a failure's message. */
    static String actionLogTail(String jobId) {
        List<String> mine = actionLog(jobId);
        return mine.isEmpty() ? "" : "; cryo-pbs-action: " + String.join(" | ", mine.subList(Math.max(0, mine.size() - 4), mine.size()));
    }

    static List<String> actionLog(String jobId) {
        return lines(ACTION_LOG).stream().filter(l -> l.contains(" " + jobId + ":")).toList();
    }

    /** The processes whose session id is {@code session}, as this host sees them. */
    static List<Long> sessionMembers(String session) {
        List<Long> members = new ArrayList<>();
        if (!session.matches("\\d+")) {
            return members;
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                try {
                    String stat = Files.readString(proc.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (fields[0].equals("Z")) {
                        continue;
                    }
                    if (fields[3].equals(session)) {
                        members.add(Long.parseLong(name));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return members;
    }

    /** Ends the job (qdel -W force, as a manager) and waits until it and its session's processes are gone. */
    static void cleanUp(String jobId) {
        if (jobId == null) {
            return;
        }
        String session = stateOf(jobId).map(JobState::session).orElse("");
        if (stateOf(jobId).filter(s -> !s.state().equals("F")).isPresent()) {
            execute(Path.of("/"), List.of(bin("qdel").toString(), "-W", "force", jobId), 60);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (stateOf(jobId).filter(s -> !s.state().equals("F")).isPresent() && System.nanoTime() < deadline) {
                sleep(200);
            }
        }
        // a job PBS lost (F/93) may leave its restored processes behind: they are the test's, end them
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!sessionMembers(session).isEmpty() && System.nanoTime() < deadline) {
            for (long pid : sessionMembers(session)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            sleep(200);
        }
    }

    /** Appends one measured figure to plugin-pbs/target/pbs-live-figures.txt and prints it. */
    static void figure(String line) {
        System.out.println("pbs-live figure: " + line);
        try {
            Files.createDirectories(FIGURES.getParent());
            Files.writeString(FIGURES, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the line is printed anyway
        }
    }

    // ------------------------------------------------------------------ processes

    record Result(int status, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }

        String lastLine() {
            String[] lines = output().strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    static String run(Path dir, List<String> command, long seconds) {
        return run(dir, command, seconds, 0);
    }

    static String run(Path dir, List<String> command, long seconds, int status) {
        Result result = execute(dir, command, seconds);
        if (result.status() != status) {
            fail(command + " exited with " + result.status() + ", not " + status + ": " + result.output().strip());
        }
        return result.stdout();
    }

    static Result execute(Path dir, List<String> command, long seconds) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
            Path out = Files.createTempFile("cryo-pbs-live", ".out");
            Path err = Files.createTempFile("cryo-pbs-live", ".err");
            try {
                // files, not pipes: qsub leaves a daemon behind that would hold a pipe open
                builder.redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                Process process = builder.start();
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return new Result(-1, "", command + " did not finish within " + seconds + " s");
                }
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(127, "", String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void waitUntil(String what, long seconds, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(100);
        }
        fail("timed out after " + seconds + " s waiting for " + what);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
