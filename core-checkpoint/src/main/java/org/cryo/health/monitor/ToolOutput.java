package org.cryo.health.monitor;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.cryo.api.BoundedCommand;
import org.cryo.api.SafeText;
import org.cryo.health.Notices;

/** Runs a monitoring tool (sqlite3, nvidia-smi) with a time limit; a failure is a notice, not an exception. */
final class ToolOutput {
    private static final long TIMEOUT_SECONDS = 20;

    private ToolOutput() {
    }

    static Optional<String> run(Notices notices, String monitor, List<String> command) {
        try {
            BoundedCommand.Result result = BoundedCommand.run(new ProcessBuilder(command), TIMEOUT_SECONDS);
            if (result.timedOut()) {
                notices.value(monitor + ": " + command.get(0) + " did not answer within " + TIMEOUT_SECONDS + " s; ignored");
                return Optional.empty();
            }
            String text = result.output();
            if (result.status() != 0) {
                String first = text.strip().lines().findFirst().orElse("");
                // a tool's words are its own (a site's script, a driver's message): escaped before they reach a terminal
                notices.value(monitor + ": " + command.get(0) + " exited with " + result.status() + " (" + SafeText.escape(first)
                        + "); ignored");
                return Optional.empty();
            }
            return Optional.of(text);
        } catch (IOException e) {
            notices.value(monitor + ": cannot run " + command.get(0) + ": " + SafeText.escape(String.valueOf(e.getMessage())));
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
