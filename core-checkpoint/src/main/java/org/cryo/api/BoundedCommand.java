package org.cryo.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs a client (scontrol, qstat, ps, the engine's helper) to its end within a deadline and
 * returns its exit status and what it printed, stdout and stderr together.
 *
 * <p>The output goes to a private file (0600, a fresh name), not a pipe, because a pipe read after
 * the exit waits for every holder of its write end: a restart that detaches the job, or any
 * daemon the command starts, keeps the caller blocked until that process ends (and a JVM's
 * reaper, which drains a pipe at the exit, can lose the race to the reader and wait with it).
 * A pipe read before the exit has the opposite fault: no deadline holds while the client, silent,
 * hangs.  A file also never fills, so a client with much to say is never blocked on it.
 */
public final class BoundedCommand {
    /** The most output kept (a client that prints more has the rest cut and {@code truncated} set). */
    public static final int MAX_OUTPUT = 16 << 20;

    private BoundedCommand() {
    }

    /** How the command ended; {@code timedOut} when it was killed at the deadline (status -1 then). */
    public record Result(boolean timedOut, int status, String output, boolean truncated) {
    }

    /**
     * Starts {@code builder} (its command, directory and environment as the caller set them) with
     * stdin from /dev/null and its output as above, and waits at most {@code timeoutSeconds}; at
     * the deadline the command is killed.  An interrupt kills it too, and is passed on.
     */
    public static Result run(ProcessBuilder builder, long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile("cryo-command-", ".out");   // O_EXCL, 0600
        try {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            Process process = builder.start();
            try {
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                    return new Result(true, -1, read(output), false);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                throw e;
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(output)) {
                bytes = in.readNBytes(MAX_OUTPUT + 1);
            }
            boolean truncated = bytes.length > MAX_OUTPUT;
            String text = new String(bytes, 0, Math.min(bytes.length, MAX_OUTPUT), StandardCharsets.UTF_8);
            return new Result(false, process.exitValue(), text, truncated);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String read(Path output) throws IOException {
        try (InputStream in = Files.newInputStream(output)) {
            return new String(in.readNBytes(MAX_OUTPUT), StandardCharsets.UTF_8);
        }
    }
}
