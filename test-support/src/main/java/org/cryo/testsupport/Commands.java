package org.cryo.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a test's command (a scheduler client, the cryo launcher) with a deadline; a hang is a failure. */
public final class Commands {
    private Commands() {
    }

    /** What a command printed (stdout and stderr together) and its exit status. */
    public record Result(int status, String output) {
    }

    /**
     * Runs {@code command} in {@code dir} with this process's environment, less the variables
     * {@code remove}, plus {@code add}; stdin is closed.  Fails when it is not done within
     * {@code timeoutSeconds} (and ends it).
     */
    public static Result execute(Path dir, List<String> command, Map<String, String> add, Collection<String> remove,
            long timeoutSeconds) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeAll(remove);
        builder.environment().putAll(add);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(command + " timed out");
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** {@link #execute}, failing unless the command exits with {@code status}; returns its output. */
    public static String run(Path dir, List<String> command, Map<String, String> add, Collection<String> remove,
            long timeoutSeconds, int status) throws Exception {
        Result result = execute(dir, command, add, remove, timeoutSeconds);
        if (result.status() != status) {
            fail(command + " exited with " + result.status() + ", not " + status + ": " + result.output().strip());
        }
        return result.output();
    }
}
