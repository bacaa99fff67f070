package org.cryo.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
     * {@code remove}, plus {@code add}; stdin is /dev/null.  Fails when it is not done within
     * {@code timeoutSeconds} (and ends it).  The output goes to a file, not a pipe: a command that
     * leaves a process behind holding its stdout (cr_restart --detach: the restored job inherits
     * the restarter's stdio) would keep a read of the pipe waiting for that process's end.
     */
    public static Result execute(Path dir, List<String> command, Map<String, String> add, Collection<String> remove,
            long timeoutSeconds) throws Exception {
        Path output = Files.createTempFile("cryo-test-command-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(output.toFile());
            builder.environment().keySet().removeAll(remove);
            builder.environment().putAll(add);
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(command + " timed out");
            }
            return new Result(process.exitValue(), new String(Files.readAllBytes(output), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
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
