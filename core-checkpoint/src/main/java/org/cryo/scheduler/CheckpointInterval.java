package org.cryo.scheduler;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A periodic-checkpoint interval as users write it: minutes, as the old {@code sbatch --checkpoint}
 * took them (fractions allowed: 0.5), or with a unit: {@code 90s}, {@code 1.5m}, {@code 2min},
 * {@code 2h}.  At least one second.
 */
public final class CheckpointInterval {
    private static final Pattern INTERVAL = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,9})?)\\s*(s|m|min|h)?");

    private CheckpointInterval() {
    }

    /** The interval {@code text} says; IllegalArgumentException with a one-line reason otherwise. */
    public static Duration parse(String text) {
        Matcher m = INTERVAL.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid checkpoint interval '" + org.cryo.api.SafeText.escape(String.valueOf(text))
                    + "' (minutes, or 90s, 1.5m, 2h)");
        }
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "m" : m.group(2);
        double seconds = switch (unit) {
            case "s" -> value;
            case "h" -> value * 3600;
            default -> value * 60;
        };
        if (seconds < 1) {
            throw new IllegalArgumentException("checkpoint interval '" + text.strip() + "' is shorter than a second");
        }
        return Duration.ofMillis(Math.round(seconds * 1000));
    }
}
