package org.cryo.scheduler;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * One restart of a job from its catalog, as cr_run records it in the job's {@code moves} file: when,
 * from which node (the node the previous run's process was recorded on; "-" if none was), to
 * which node, why the job left the first, and the context file it restarted from ("-" if none).
 * A line of the file is {@code AT FROM TO REASON CONTEXT}, space-separated; the job's user can
 * write the file, so {@link #parse} checks every field.
 */
public record JobMove(Instant at, String from, String to, Reason reason, String context) {
    /** Why the job left its node. */
    public enum Reason {
        /** The scheduler preempted it (its trap, or 'cryo checkpoint requeue/vacate'). */
        PREEMPTED,
        /** A node's migration ('cryo migrate-node', the console's "migrate node"). */
        MIGRATED,
        /** A node agent's evacuation on a health precursor. */
        HEALTH,
        /** Vacated by its owner or an operator from the console. */
        VACATED,
        /** No vacate preceded the restart: the run failed or its node did (the scheduler requeued it). */
        FAILED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<Reason> of(String text) {
            for (Reason r : values()) {
                if (r.label().equals(text)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    /** A node name as schedulers allow them, or "-". */
    private static final String NODE = "-|[A-Za-z0-9][A-Za-z0-9._-]{0,252}";
    private static final String CONTEXT = "-|context\\.\\d{6,12}";

    public JobMove {
        if (at == null || reason == null || from == null || !from.matches(NODE) || to == null || !to.matches(NODE)
                || context == null || !context.matches(CONTEXT)) {
            throw new IllegalArgumentException("not a move record: " + org.cryo.api.SafeText.escape(
                    at + " " + from + " " + to + " " + reason + " " + context));
        }
    }

    /** The line the catalog holds. */
    public String toLine() {
        return at + " " + from + " " + to + " " + reason.label() + " " + context;
    }

    /** A line of the catalog's {@code moves} file; empty if it is not one. */
    public static Optional<JobMove> parse(String line) {
        String[] f = line.strip().split(" ");
        if (f.length != 5) {
            return Optional.empty();
        }
        try {
            Optional<Reason> reason = Reason.of(f[3]);
            return reason.isEmpty() ? Optional.empty() : Optional.of(new JobMove(Instant.parse(f[0]), f[1], f[2], reason.get(), f[4]));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A node as a move record may hold it: "-" for none or for a name no scheduler gives. */
    public static String node(String name) {
        return name != null && name.matches(NODE) ? name : "-";
    }
}
