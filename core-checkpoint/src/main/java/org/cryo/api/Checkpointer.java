package org.cryo.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cryo.engine.CryoHome;
import org.cryo.engine.EngineException;
import org.cryo.engine.NativeEngine;
import org.cryo.format.ContextFormatException;
import org.cryo.format.ContextInfo;

/**
 * The entry point of the Java API: checkpoint a process, restart it from its context file,
 * inspect a context file.
 *
 * <p>Checkpoints and restarts run in the helper executable {@code cryo-engine}: a tracer must
 * be the only one to wait for its tracee's stops, and this JVM's process reaper calls
 * waitpid() on every child it started; a restored process also needs a parent that does
 * nothing else.  Checks, the context-file verifier and its reader (describe: the engine is the
 * format's only reader) run in this JVM through JNI.
 */
public final class Checkpointer {
    /** Exit status of {@code cryo-engine restore} when the restore itself failed (cryo.h). */
    public static final int RESTORE_FAILED = 125;

    private final Path home;

    private Checkpointer(Path home) {
        this.home = home;
    }

    /**
     * A checkpointer for the installation found from system property {@code cryo.home}, else
     * environment {@code CRYO_HOME}, else the directories above this jar.  Never fails: a missing
     * installation is reported by the first operation that needs it.
     */
    public static Checkpointer create() {
        return new Checkpointer(CryoHome.find().orElse(null));
    }

    /** A checkpointer for the installation at {@code home} (the repository root of a build). */
    public static Checkpointer create(Path home) {
        return new Checkpointer(home.toAbsolutePath().normalize());
    }

    /** The installation in use, if one was found. */
    public Optional<Path> home() {
        return Optional.ofNullable(home);
    }

    /** Can this user checkpoint {@code pid}?  (exists, same user or root, not set-id, dumpable.) */
    public void checkTarget(long pid) throws CheckpointException {
        int nativePid = toPid(pid);
        try {
            NativeEngine.ensureLoaded(home);
            NativeEngine.checkTarget(nativePid);
        } catch (EngineException e) {
            throw CheckpointException.from(e);
        }
    }

    /**
     * Checkpoints {@code pid} to {@code options}' file (a directory: {@code DIR/context.PID}; a
     * device, FIFO, socket or symbolic link is refused), written nameless, fsynced and linked to
     * its name.  On failure, and when this JVM is told to end (SIGTERM, SIGINT, SIGHUP) before
     * the file has its name, the process is left running as it was and no file is left behind.
     */
    public CheckpointResult checkpoint(long pid, CheckpointOptions options) throws CheckpointException {
        Path file = options.fileFor(pid).toAbsolutePath();
        if (Files.isDirectory(file)) {
            file = file.resolve("context." + pid);     // as the engine does
        }
        String result = runHelper(checkpointCommand(pid, options, file));
        return HelperResult.parseCheckpoint(result, file, pid);
    }

    /**
     * The helper's command line that checkpoints {@code pid} as {@code options} say, printing one
     * machine-readable line ({@link #checkpointResult}): for a caller that runs it elsewhere (on a
     * job's node, as the job's user) rather than in this JVM.
     */
    public List<String> checkpointCommand(long pid, CheckpointOptions options) throws CheckpointException {
        return checkpointCommand(pid, options, options.fileFor(pid));
    }

    private List<String> checkpointCommand(long pid, CheckpointOptions options, Path file) throws CheckpointException {
        int nativePid = toPid(pid);
        List<String> command = new ArrayList<>(List.of(helper().toString(), "checkpoint", "--machine",
                "-f", file.toString(), options.scope().helperOption()));
        String endOption = options.endAction().helperOption();
        if (endOption != null) {
            command.add(endOption);
        }
        if (options.endAction() == EndAction.SIGNAL) {
            command.add(Integer.toString(options.signal()));
        }
        options.compressLevel().ifPresent(level -> command.add("--compress=zstd:" + level));
        if (options.incremental()) {
            command.add("--incremental");
        }
        options.parent().ifPresent(parent -> command.addAll(List.of("--parent", parent.toString())));
        if (options.leavingNode()) {
            command.add("--leaving-node");
        }
        command.add(Integer.toString(nativePid));
        return command;
    }

    /** The result of a {@link #checkpointCommand} from its machine-readable line; its error as an exception. */
    public static CheckpointResult checkpointResult(String machineLine, Path file, long pid) throws CheckpointException {
        return HelperResult.parseCheckpoint(machineLine.strip(), file, pid);
    }

    /** How long a JVM that is told to end waits for the helper to let the processes go. */
    static final long HELPER_UNWIND_SECONDS = 30;
    /** How long a question to the helper about a file (its chain) may take: it reads a header and a record. */
    static final long HELPER_QUERY_SECONDS = 60;

    /**
     * Runs the helper to completion and returns its one line of machine-readable output.  If this
     * JVM is told to end meanwhile, a shutdown hook passes SIGTERM on to the helper and waits for it,
     * so that when the JVM has ended the checkpoint has too, either way (the helper, whose tracer
     * gets SIGTERM when it dies, also covers a JVM killed outright); the helper's verdict ("...
     * interrupted by signal N ...") is then printed on stderr, since no caller is left to.
     */
    private static String runHelper(List<String> command) throws CheckpointException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        java.util.concurrent.CountDownLatch reported = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean ending = new java.util.concurrent.atomic.AtomicBoolean();
        Thread unwind = null;
        String out = "";
        try {
            Process helper = builder.start();
            unwind = new Thread(() -> {
                ending.set(true);
                stopAndAwait(helper, reported);
            }, "cryo-checkpoint-unwind");
            Runtime.getRuntime().addShutdownHook(unwind);
            out = new String(helper.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            helper.waitFor();
            return out.strip();
        } catch (IOException e) {
            throw new CheckpointException("cannot run " + command.get(0) + ": " + e.getMessage(),
                    0, "helper", "execve", 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while waiting for " + command.get(0));
        } finally {
            if (ending.get()) {
                reportAndAwaitTheEnd(out, reported);
            } else if (unwind != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(unwind);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs, and finds the helper ended
                }
            }
            reported.countDown();
        }
    }

    /**
     * The JVM is ending and nobody is left to take the result: the helper's verdict goes to stderr,
     * and this thread waits for the end rather than report it a second time.
     */
    private static void reportAndAwaitTheEnd(String out, java.util.concurrent.CountDownLatch reported) {
        String[] f = out.strip().split("\t", 6);
        System.err.println("cryo: " + (f.length == 6 ? f[5] : f[0].equals("OK") ? "checkpoint completed" : out.strip()));
        System.err.flush();
        reported.countDown();
        for (;;) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // only the JVM's end ends this
            }
        }
    }

    /** The shutdown hook's part: the helper told to stop, waited for, and its verdict reported. */
    private static void stopAndAwait(Process helper, java.util.concurrent.CountDownLatch reported) {
        try {
            if (helper.isAlive()) {
                // SIGTERM through the handle: Process.destroy would also close the stream being read
                helper.toHandle().destroy();
                helper.waitFor(HELPER_UNWIND_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            }
            reported.await(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Restarts from {@code file} in the helper {@code cryo-engine restore} and returns the helper's
     * process.  The helper stays the restored process's parent and exits with its exit status, or
     * with {@link #RESTORE_FAILED} (and one line on stderr) when the restore itself failed.  The
     * file is verified first, so a corrupt file is rejected before anything starts.
     */
    public Process restart(Path file, RestartOptions options) throws CheckpointException {
        verify(file);
        ProcessBuilder builder = new ProcessBuilder(restoreCommand(file, options));
        if (options.inheritIo()) {
            builder.inheritIO();
        }
        try {
            return builder.start();
        } catch (IOException e) {
            throw new CheckpointException("cannot start " + builder.command().get(0) + ": " + e.getMessage(),
                    0, "helper", "execve", 0, e);
        }
    }

    /** The command line {@link #restart} runs. */
    public List<String> restoreCommand(Path file, RestartOptions options) throws CheckpointException {
        List<String> command = new ArrayList<>();
        command.add(helper().toString());
        command.add("restore");
        if (!options.restorePid()) {
            command.add("--no-restore-pid");
        }
        if (!options.restoreSid()) {
            command.add("--no-restore-sid");
        }
        if (!options.restorePgid()) {
            command.add("--no-restore-pgid");
        }
        if (options.detach()) {
            command.add("--detach");
        }
        if (options.verbose()) {
            command.add("-v");
        }
        if (options.asCaller()) {
            command.add("--as-caller");
        }
        for (RestartOptions.Relocation relocation : options.relocations()) {
            command.add("--relocate");
            command.add(relocation.from() + "=" + relocation.to());
        }
        command.add(file.toAbsolutePath().toString());
        return command;
    }

    /** Verifies {@code file} (checksums included) and describes what it holds: every process of its tree. */
    public ContextInfo inspect(Path file) throws CheckpointException {
        String json = describe(file);
        try {
            return ContextInfo.fromJson(json);
        } catch (ContextFormatException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), 0, "context file", "", 0, e);
        }
    }

    /**
     * The engine's own description of {@code file} (JSON, docs/FORMAT.md), after the same
     * verification as a restore: the engine is the one reader of the format.
     */
    public String describe(Path file) throws CheckpointException {
        requireRegularFile(file);
        try {
            NativeEngine.ensureLoaded(home);
            return NativeEngine.describe(file.toAbsolutePath().toString());
        } catch (EngineException e) {
            throw CheckpointException.from(e);
        }
    }

    /**
     * What {@code file} holds, for a listing: every check of {@link #inspect} but the page data's
     * checksums (a read of the whole file), and a symbolic link at {@code file} is refused, not
     * followed.
     */
    public ContextInfo summary(Path file) throws CheckpointException {
        try {
            NativeEngine.ensureLoaded(home);
            return ContextInfo.fromJson(NativeEngine.describeSummary(file.toAbsolutePath().toString()));
        } catch (EngineException e) {
            throw CheckpointException.from(e);
        } catch (ContextFormatException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), 0, "context file", "", 0, e);
        }
    }

    /** The whole file, checksums included, through the native verifier. */
    public void verify(Path file) throws CheckpointException {
        requireRegularFile(file);
        try {
            NativeEngine.ensureLoaded(home);
            NativeEngine.verify(file.toAbsolutePath().toString());
        } catch (EngineException e) {
            throw CheckpointException.from(e);
        }
    }

    /** Where {@code file} stands in its chain of incremental files (the engine reads its header and parent record). */
    public record ChainLink(int depth, Optional<String> parentName) {
        public boolean isFull() {
            return depth == 0;
        }
    }

    /** {@code file}'s parent, by base name, and how many files lie under it (0: a full file). */
    public ChainLink chainLink(Path file) throws CheckpointException {
        requireRegularFile(file);
        List<String> command = List.of(helper().toString(), "parent", file.toAbsolutePath().toString());
        String line;
        int status;
        try {
            BoundedCommand.Result result = BoundedCommand.run(new ProcessBuilder(command), HELPER_QUERY_SECONDS);
            line = result.timedOut() ? command.get(0) + " parent: no answer within " + HELPER_QUERY_SECONDS + " s"
                    : result.output().strip();
            status = result.status();
        } catch (IOException e) {
            throw new CheckpointException("cannot run " + command.get(0) + ": " + e.getMessage(), 0, "helper", "execve", 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while waiting for " + command.get(0));
        }
        String[] words = line.split(" ", 2);
        if (status != 0 || !words[0].matches("[0-9]{1,3}")) {
            throw new CheckpointException(line.isEmpty() ? "cannot read the chain of " + file : line);
        }
        int depth = Integer.parseInt(words[0]);
        return new ChainLink(depth, depth > 0 && words.length == 2 ? Optional.of(words[1]) : Optional.empty());
    }

    private static void requireRegularFile(Path file) throws CheckpointException {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("no context file " + file, 0, "context file", "open", 2, null);
        }
    }

    /** The cryo-engine of ${cryo.home} (CryoHome.helper), which must exist. */
    public Path helper() throws CheckpointException {
        Path helper = CryoHome.helper(requireHome());
        if (!Files.isExecutable(helper)) {
            throw new CheckpointException("helper " + helper + " is missing (build with 'mvn package')",
                    0, "helper", "execve", 2, null);
        }
        return helper;
    }

    private Path requireHome() throws CheckpointException {
        if (home == null) {
            throw new CheckpointException("cannot find the Cryo installation: set -D" + CryoHome.PROPERTY
                    + " or " + CryoHome.ENVIRONMENT);
        }
        return home;
    }

    private static int toPid(long pid) throws CheckpointException {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new CheckpointException("invalid PID " + pid, pid, "process", "", 22, null);
        }
        return (int) pid;
    }
}
