package org.cryo.cli;

import java.util.Locale;
import java.util.Map;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.EndAction;
import picocli.CommandLine.Option;

/** BLCR's mutually exclusive end options of cr_checkpoint (an exclusive ArgGroup). */
final class EndOptions {
    /** Names accepted by --signal besides numbers (x86_64 numbering). */
    private static final Map<String, Integer> SIGNALS = Map.of(
            "HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10,
            "USR2", 12, "ALRM", 14, "TERM", 15, "CONT", 18, "STOP", 19);

    @Option(names = "--term", description = "Send SIGTERM to the process once the context is saved.")
    boolean term;

    @Option(names = "--kill", description = "Send SIGKILL to the process once the context is saved.")
    boolean kill;

    @Option(names = "--stop", description = "Send SIGSTOP to the process once the context is saved.")
    boolean stop;

    @Option(names = "--signal", paramLabel = "N",
            description = "Send signal N (a number or a name such as USR1) once the context is saved.")
    String signal;

    /** Applies the chosen end action; none chosen leaves the process running. */
    void applyTo(CheckpointOptions.Builder options) {
        if (term) {
            options.endAction(EndAction.TERM);
        } else if (kill) {
            options.endAction(EndAction.KILL);
        } else if (stop) {
            options.endAction(EndAction.STOP);
        } else if (signal != null) {
            options.signal(parseSignal(signal));
        }
    }

    static int parseSignal(String text) {
        String name = text.toUpperCase(Locale.ROOT);
        name = name.startsWith("SIG") ? name.substring(3) : name;
        if (SIGNALS.containsKey(name)) {
            return SIGNALS.get(name);
        }
        try {
            int number = Integer.parseInt(text);
            if (number >= 1 && number <= 64) {
                return number;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("invalid signal '" + text + "' (a number 1-64 or a name such as USR1)");
    }
}
