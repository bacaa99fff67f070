package org.cryo.health;

/**
 * A node's health, in the order of severity.  {@link #WARN}: stop placing new work (drain);
 * {@link #EVACUATE}: move the checkpointable jobs now, while a checkpoint can still be taken;
 * {@link #FAIL}: too late to checkpoint (or the node is gone): its jobs restart elsewhere from
 * their latest periodic checkpoints.
 */
public enum Level {
    OK, WARN, EVACUATE, FAIL;

    public static Level parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a health level (ok, warn, evacuate, fail): '"
                    + org.cryo.api.SafeText.escape(text) + "'");
        }
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public Level max(Level other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
