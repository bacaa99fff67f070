package org.cryo.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs a client (scontrol, qstat, ps, the engine's helper) to its end within a deadline and
 * returns its exit status and what it printed: stdout and stderr together ({@link #run}), or
 * apart for a client whose two streams mean different things ({@link #runApart}: qstat -F json
 * writes its skeleton on stdout even when it fails).
 *
 * <p>The output goes to a private file (0600, a fresh name), not a pipe, because a pipe read after
 * the exit waits for every holder of its write end: a restart that detaches the job, or any
 * daemon the command starts, keeps the caller blocked until that process ends (and a JVM's
 * reaper, which drains a pipe at the exit, can lose the race to the reader and wait with it).
 * A pipe read before the exit has the opposite fault: no deadline holds while the client, silent,
 * hangs.  A file also never fills, so a client with much to say is never blocked on it.
 */
public final class BoundedCommand {
    /** The most output kept of each stream (a client that prints more has the rest cut and {@code truncated} set). */
    public static final int MAX_OUTPUT = 16 << 20;

    private BoundedCommand() {
    }

    /** How the command ended; {@code timedOut} when it was killed at the deadline (status -1 then). */
    public record Result(boolean timedOut, int status, String output, boolean truncated) {
    }

    /** As {@link Result}, the two streams apart. */
    public record Apart(boolean timedOut, int status, String stdout, String stderr, boolean truncated) {
    }

    /**
     * Starts {@code builder} (its command, directory and environment as the caller set them) with
     * stdin from /dev/null and its output as above, and waits at most {@code timeoutSeconds}; at
     * the deadline the command is killed.  An interrupt kills it too, and is passed on.
     */
    public static Result run(ProcessBuilder builder, long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile("cryo-command-", ".out");   // O_EXCL, 0600
        try {
            builder.redirectErrorStream(true).redirectOutput(output.toFile());
            Ended ended = runToEnd(builder, timeoutSeconds);
            Text text = read(output);
            return new Result(ended.timedOut, ended.status, text.value, text.truncated);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** As {@link #run}, with stdout and stderr each in a file of its own. */
    public static Apart runApart(ProcessBuilder builder, long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile("cryo-command-", ".out");
        try {
            Path errors = Files.createTempFile("cryo-command-", ".err");
            try {
                builder.redirectErrorStream(false).redirectOutput(output.toFile()).redirectError(errors.toFile());
                Ended ended = runToEnd(builder, timeoutSeconds);
                Text out = read(output);
                Text err = read(errors);
                return new Apart(ended.timedOut, ended.status, out.value, err.value, out.truncated || err.truncated);
            } finally {
                Files.deleteIfExists(errors);
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private record Ended(boolean timedOut, int status) {
    }

    /** Runs the command to its end, or kills it at the deadline (status -1 then). */
    private static Ended runToEnd(ProcessBuilder builder, long timeoutSeconds) throws IOException, InterruptedException {
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = builder.start();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Ended(true, -1);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            throw e;
        }
        return new Ended(false, process.exitValue());
    }

    private record Text(String value, boolean truncated) {
    }

    private static Text read(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_OUTPUT + 1);
        }
        boolean truncated = bytes.length > MAX_OUTPUT;
        return new Text(new String(bytes, 0, Math.min(bytes.length, MAX_OUTPUT), StandardCharsets.UTF_8), truncated);
    }
}
