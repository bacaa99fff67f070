package org.cryo.pbs;

import java.time.Duration;
import java.util.Optional;
import org.cryo.api.SafeText;

/**
 * A job's {@code Checkpoint} attribute ({@code qsub -c}), OpenPBS's and Torque's spellings.
 * OpenPBS stores {@code u} (unset: allowed on hold and preemption), {@code n} (never, also not on
 * hold), {@code s} (at server shutdown), {@code c} / {@code w} (the queue's {@code checkpoint_min})
 * and {@code c=MIN} (every MIN minutes of CPU time) / {@code w=MIN} (of walltime), a smaller MIN
 * raised to the queue's minimum ({@code -c c=1} is stored {@code c=2} under checkpoint_min 2).
 * Torque takes a list: {@code none}, {@code enabled} (on hold, qchkpt), {@code shutdown},
 * {@code periodic}, {@code interval=MIN}, {@code depth=N} (context files kept), {@code dir=PATH}.
 * The MoM does the timing: Cryo only reads it (messages, Torque's depth as the number kept).
 *
 * @param never      no checkpoint at all (a hold only holds)
 * @param periodic   checkpointed every {@code interval} (CPU time if {@code cpuTime}, else walltime)
 * @param interval   the period, if known (zero: the queue's minimum)
 * @param cpuTime    OpenPBS {@code c}: the period counts CPU time
 * @param depth      context files to keep (Torque's depth), 0: not given
 * @param directory  Torque's dir=, "" if none
 */
public record CheckpointAttribute(boolean never, boolean periodic, Duration interval, boolean cpuTime, int depth,
                                  String directory) {
    /** The attribute as qstat shows it (an empty value: unset). */
    public static CheckpointAttribute parse(String value) {
        String text = value == null ? "" : value.strip();
        switch (text) {
            case "", "u", "s", "enabled", "shutdown" -> {
                return new CheckpointAttribute(false, false, Duration.ZERO, false, 0, "");
            }
            case "n", "none" -> {
                return new CheckpointAttribute(true, false, Duration.ZERO, false, 0, "");
            }
            case "c", "w" -> {
                return new CheckpointAttribute(false, true, Duration.ZERO, text.equals("c"), 0, "");
            }
            default -> {
                if (text.matches("[cw]=\\d{1,7}")) {
                    return new CheckpointAttribute(false, true, Duration.ofMinutes(Long.parseLong(text.substring(2))),
                            text.startsWith("c"), 0, "");
                }
                return torque(text);
            }
        }
    }

    private static CheckpointAttribute torque(String text) {
        boolean never = false;
        boolean periodic = false;
        Duration interval = Duration.ZERO;
        int depth = 0;
        String directory = "";
        for (String option : text.split(",")) {
            String o = option.strip();
            if (o.equals("none")) {
                never = true;
            } else if (o.equals("periodic")) {
                periodic = true;
            } else if (o.equals("enabled") || o.equals("shutdown")) {
                continue;
            } else if (o.matches("interval=\\d{1,7}")) {
                interval = Duration.ofMinutes(Long.parseLong(o.substring(9)));
            } else if (o.matches("depth=\\d{1,4}")) {
                depth = Integer.parseInt(o.substring(6));
            } else if (o.startsWith("dir=/") && o.length() > 5 && !o.contains("\0")) {
                directory = o.substring(4);
            } else {
                throw new IllegalArgumentException("invalid checkpoint option '" + SafeText.escape(o) + "' in '"
                        + SafeText.escape(text) + "' (OpenPBS: u n s c w c=MIN w=MIN; Torque: none enabled shutdown"
                        + " periodic interval=MIN depth=N dir=PATH)");
            }
        }
        if (never && (periodic || !interval.isZero())) {
            throw new IllegalArgumentException("checkpoint option none with periodic or interval in '" + SafeText.escape(text) + "'");
        }
        return new CheckpointAttribute(never, periodic || !interval.isZero(), interval, false, depth, directory);
    }

    /** "every 5 min of walltime", "never", "on hold and preemption". */
    public String describe() {
        if (never) {
            return "never (a hold only holds it)";
        }
        if (!periodic) {
            return "on hold and preemption";
        }
        String every = interval.isZero() ? "the queue's checkpoint_min" : interval.toMinutes() + " min";
        return "every " + every + " of " + (cpuTime ? "CPU time" : "walltime") + ", and on hold and preemption";
    }

    /** The context files to keep, if the attribute says (Torque's depth). */
    public Optional<Integer> keep() {
        return depth > 0 ? Optional.of(depth) : Optional.empty();
    }
}
