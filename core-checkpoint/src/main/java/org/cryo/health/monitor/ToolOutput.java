package org.cryo.health.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cryo.health.Notices;

/** Runs a monitoring tool (sqlite3, nvidia-smi) with a time limit; a failure is a notice, not an exception. */
final class ToolOutput {
    private static final long TIMEOUT_SECONDS = 20;
    private static final int MAX_OUTPUT = 1 << 20;

    private ToolOutput() {
    }

    static Optional<String> run(Notices notices, String monitor, List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] output = process.getInputStream().readNBytes(MAX_OUTPUT);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                notices.value(monitor + ": " + command.get(0) + " did not answer within " + TIMEOUT_SECONDS + " s; ignored");
                return Optional.empty();
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                String first = text.strip().lines().findFirst().orElse("");
                notices.value(monitor + ": " + command.get(0) + " exited with " + process.exitValue() + " (" + first + "); ignored");
                return Optional.empty();
            }
            return Optional.of(text);
        } catch (IOException e) {
            notices.value(monitor + ": cannot run " + command.get(0) + ": " + e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
