package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;

/**
 * The zdtm-style harness: starts a test program from native/tests/programs, waits for its
 * {@code READY <pid>}, checkpoints it, kills it, restarts it from the context file and gives
 * it the go (creates the file named by its argv[1]); then the restored program checks its own
 * state and prints {@code PASS} or {@code FAIL <what>} lines.
 *
 * <p>Programs are started through {@code /bin/sh} so that they are not children of this JVM:
 * the JVM's process reaper blocks in {@code waitpid(pid, 0)} on each of its children and would
 * take the ptrace stops meant for the engine (see {@link JvmChildTest} for that case).
 */
public final class CheckpointHarness {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    private CheckpointHarness() {
    }

    /** The repository root: property {@code cryo.home}, else the directory above that holds native/target. */
    public static Path cryoHome() {
        String configured = System.getProperty("cryo.home");
        if (configured != null && !configured.isEmpty()) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("native/target"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root: set -Dcryo.home");
    }

    /** ${cryo.home}/native/target/test-programs/NAME, which must have been built. */
    public static Path program(String name) {
        Path path = cryoHome().resolve("native/target/test-programs").resolve(name);
        assertTrue(Files.isExecutable(path), "test program " + path + " is not built (make -C native)");
        return path;
    }

    public static Path launcher(String name) {
        return cryoHome().resolve("bin").resolve(name);
    }

    /** The whole cycle for a program that checks itself: start, checkpoint, kill, restart, go, PASS. */
    public static Restored checkpointRestartAndPass(String name, String... args) throws Exception {
        return checkpointRestartAndPass(CheckpointOptions.builder(), name, args);
    }

    /** The same, checkpointed with other options. */
    public static Restored checkpointRestartAndPass(CheckpointOptions.Builder options, String name, String... args)
            throws Exception {
        try (Original original = Original.start(name, args)) {
            Path context = original.checkpoint(options);
            original.kill();
            Restored restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            return restored;
        }
    }

    /** A test program started by the harness, before its checkpoint. */
    public static final class Original implements AutoCloseable {
        final Path dir;
        final Path goFile;
        final Process shell;
        final ProgramOutput out;
        final ProgramOutput err;
        long pid;

        private Original(Path dir, List<String> command, Map<String, String> env) throws IOException {
            this.dir = dir;
            this.goFile = dir.resolve("go");
            List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "exec 9<&0; \"$@\" <&9 9<&- & wait $!", "sh"));
            wrapped.addAll(command);
            ProcessBuilder builder = new ProcessBuilder(wrapped).directory(dir.toFile());
            builder.environment().putAll(env);
            this.shell = builder.start();
            this.out = new ProgramOutput(shell.getInputStream(), command.get(0));
            this.err = new ProgramOutput(shell.getErrorStream(), command.get(0) + " (stderr)");
        }

        /** Starts native test program NAME with argv[1] = the go file and then {@code args}; waits for READY. */
        public static Original start(String name, String... args) throws Exception {
            return start(name, Map.of(), args);
        }

        public static Original start(String name, Map<String, String> env, String... args) throws Exception {
            Path dir = newWorkDir(name);
            List<String> command = new ArrayList<>(List.of(program(name).toString(), dir.resolve("go").toString()));
            command.addAll(List.of(args));
            return startCommand(dir, command, env);
        }

        /** Starts any command (which must print {@code READY <pid>}) in a fresh work directory. */
        public static Original startCommand(Path dir, List<String> command, Map<String, String> env) throws Exception {
            Original original = new Original(dir, command, env);
            try {
                String ready = original.out.await(line -> line.startsWith("READY "), READY_TIMEOUT);
                original.pid = Long.parseLong(ready.substring(6).trim());
            } catch (TimeoutException e) {
                original.close();
                throw new AssertionError(command.get(0) + " never printed READY: " + e.getMessage()
                        + "; stderr: " + original.err, e);
            }
            return original;
        }

        public long pid() {
            return pid;
        }

        public Path dir() {
            return dir;
        }

        public ProgramOutput out() {
            return out;
        }

        /** Checkpoints to dir/context.cryo (the process keeps running) and returns the file. */
        public Path checkpoint() throws CheckpointException {
            return checkpoint(CheckpointOptions.builder());
        }

        /** The same with other options (the file is always dir/context.cryo). */
        public Path checkpoint(CheckpointOptions.Builder options) throws CheckpointException {
            Path file = dir.resolve("context.cryo");
            Checkpointer.create().checkpoint(pid, options.file(file).build());
            assertTrue(Files.isRegularFile(file), "checkpoint returned but " + file + " does not exist");
            return file;
        }

        /** SIGKILL, and wait until the PID is free (the shell has reaped it). */
        public void kill() throws InterruptedException {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            assertTrue(shell.waitFor(10, TimeUnit.SECONDS), "the original process did not die");
        }

        public boolean isAlive() {
            return shell.isAlive();
        }

        public Restored restart(Path context, RestartOptions options) throws CheckpointException {
            return new Restored(Checkpointer.create().restart(context, options));
        }

        /** Gives the go: creates the file the program polls for. */
        public void go() throws IOException {
            Files.createFile(goFile);
        }

        /** For a program that was not checkpointed (or whose checkpoint failed): go, then PASS. */
        public void goAndAssertPassed() throws Exception {
            go();
            assertTrue(shell.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the program did not finish");
            out.awaitEnd(Duration.ofSeconds(5));
            String all = out + "\nstderr: " + err;
            assertTrue(out.lines().contains("PASS"), "no PASS from the original process: " + all);
            assertFalse(out.lines().stream().anyMatch(l -> l.startsWith("FAIL")), all);
            assertEquals(0, shell.exitValue(), all);
        }

        @Override
        public void close() {
            // a tree's children too: a test that ends early must not leave them polling forever
            ProcessHandle.of(pid).ifPresent(root -> {
                root.descendants().forEach(ProcessHandle::destroyForcibly);
                root.destroyForcibly();
            });
            shell.destroyForcibly();
            try {
                shell.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteTree(dir);
        }
    }

    /** A restarted process: the {@code cryo-engine restore} helper whose output is the program's. */
    public static final class Restored {
        final Process helper;
        final ProgramOutput out;
        final ProgramOutput err;
        final long startNanos = System.nanoTime();

        Restored(Process helper) {
            this.helper = helper;
            this.out = new ProgramOutput(helper.getInputStream(), "restored");
            this.err = new ProgramOutput(helper.getErrorStream(), "restored (stderr)");
        }

        public Process helper() {
            return helper;
        }

        public ProgramOutput out() {
            return out;
        }

        public ProgramOutput err() {
            return err;
        }

        public void writeStdin(String text) throws IOException {
            OutputStream in = helper.getOutputStream();
            in.write(text.getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** Waits for the helper to exit and returns its status (the program's, or 125). */
        public int awaitExit() throws InterruptedException {
            if (!helper.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                helper.destroyForcibly();
                throw new AssertionError("the restored process did not finish in " + RUN_TIMEOUT + "; output: "
                        + out + "\nstderr: " + err);
            }
            out.awaitEnd(Duration.ofSeconds(5));
            err.awaitEnd(Duration.ofSeconds(5));
            return helper.exitValue();
        }

        /** PASS, no FAIL, exit status 0. */
        public void assertPassed() throws InterruptedException {
            int status = awaitExit();
            String all = "output:\n" + out + "\nstderr:\n" + err + "\nexit status " + status;
            assertFalse(out.lines().stream().anyMatch(l -> l.startsWith("FAIL")), all);
            assertTrue(out.lines().contains("PASS"), all);
            assertEquals(0, status, all);
        }

        public String describe() {
            return "output:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** A fresh directory under java.io.tmpdir, world-readable (some tests run parts as another user). */
    public static Path newWorkDir(String name) throws IOException {
        Path dir = Files.createTempDirectory("cryo-" + name + "-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }

    /** Files in {@code dir}, by name. */
    public static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A message is "one line": not blank, no line break. */
    public static void assertOneLine(String message) {
        assertTrue(message != null && !message.isBlank(), "empty error message");
        assertFalse(message.strip().contains("\n"), "error message is more than one line: " + message);
    }

    /** The non-blank lines of a command's stderr must be exactly one. */
    public static void assertOneLineError(List<String> stderr) {
        List<String> nonBlank = stderr.stream().filter(l -> !l.isBlank()).toList();
        assertEquals(1, nonBlank.size(), "expected a one-line error, got " + nonBlank);
    }

    /**
     * Restarting {@code context} must be refused: a one-line CheckpointException, or a helper that
     * exits non-zero with one line on stderr, and no process (the go file already exists, so a
     * restored program would have printed at once).  Returns the error message.
     */
    public static String assertRestartRefused(Original original, Path context, RestartOptions options)
            throws Exception {
        if (!Files.exists(original.goFile)) {
            original.go();
        }
        String message;
        try {
            Restored restored = original.restart(context, options);
            int status = restored.awaitExit();
            assertTrue(status != 0, "restart of a bad context file succeeded: " + restored.describe());
            assertOneLineError(restored.err().lines());
            assertTrue(restored.out().lines().isEmpty(), "a process ran: " + restored.describe());
            message = restored.err().lines().stream().filter(l -> !l.isBlank()).findFirst().orElse("");
        } catch (CheckpointException e) {
            message = e.getMessage();
            assertOneLine(message);
        }
        assertTrue(ProcessHandle.of(original.pid()).isEmpty(), "a process runs with the original PID");
        return message;
    }

    /** Result of running a command to completion. */
    public record CommandResult(int status, List<String> out, List<String> err) {
        public String describe() {
            return "exit " + status + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /**
     * Test program NAME (with {@code args}) must be refused at checkpoint time with one line
     * containing {@code reason}, leave no context file, and run on to its PASS untouched.
     */
    public static void assertCheckpointRefusedAndUntouched(String reason, String name, String... args)
            throws Exception {
        try (var original = Original.start(name, args)) {
            CheckpointException e = assertThrows(CheckpointException.class, original::checkpoint);
            assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains(reason), e.getMessage());
            assertFalse(listNames(original.dir()).stream().anyMatch(n -> n.contains("context")),
                    "files left: " + listNames(original.dir()));
            assertTrue(original.isAlive(), "the checkpoint killed the process");
            original.goAndAssertPassed();
        }
    }

    /** Runs {@code command} to completion (stdin empty), collecting its output. */
    public static CommandResult run(List<String> command, Duration timeout) throws Exception {
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        ProgramOutput out = new ProgramOutput(process.getInputStream(), command.get(0));
        ProgramOutput err = new ProgramOutput(process.getErrorStream(), command.get(0) + " (stderr)");
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeout + "; output " + out + " " + err);
        }
        out.awaitEnd(Duration.ofSeconds(5));
        err.awaitEnd(Duration.ofSeconds(5));
        return new CommandResult(process.exitValue(), out.lines(), err.lines());
    }

    /** Drops file's pages from the page cache (dd iflag=nocache), so that a restart finds it cold. */
    public static void dropFromPageCache(Path file) throws Exception {
        var dropped = run(List.of("dd", "if=" + file, "iflag=nocache", "count=0"), Duration.ofSeconds(30));
        assertEquals(0, dropped.status(), dropped.describe());
    }

    /** Waits (up to 20 s) until none of these PIDs exists any more, zombies reaped included. */
    public static void awaitGone(long... pids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (long pid : pids) {
            while (Files.exists(Path.of("/proc/" + pid)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(!Files.exists(Path.of("/proc/" + pid)), "process " + pid + " is still there");
        }
    }

    /**
     * For programs that are process trees: checkpoint with BLCR's --kill (every process of the
     * tree ends once the file is safe), wait until every PID is gone, restart, go, PASS.
     */
    public static Restored checkpointTreeKillRestartAndPass(String name, String... args) throws Exception {
        try (var original = Original.start(name, args)) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = original.dir().resolve(name + ".cryo");
            org.cryo.api.Checkpointer.create().checkpoint(original.pid(), org.cryo.api.CheckpointOptions.builder()
                    .file(file).endAction(org.cryo.api.EndAction.KILL).build());
            original.kill();
            awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            Restored restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            return restored;
        }
    }
}
