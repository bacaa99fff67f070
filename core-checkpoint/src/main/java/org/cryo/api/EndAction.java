package org.cryo.api;

/** What happens to the process once its context is safely on disk (BLCR's --term, --kill, ...). */
public enum EndAction {
    /** The process carries on (the default, as in BLCR). */
    RUNNING(null),
    /** SIGSTOP. */
    STOP("--stop"),
    /** SIGTERM. */
    TERM("--term"),
    /** SIGKILL. */
    KILL("--kill"),
    /** The signal given by {@link CheckpointOptions.Builder#signal(int)}. */
    SIGNAL("--signal");

    private final String helperOption;

    EndAction(String helperOption) {
        this.helperOption = helperOption;
    }

    /** The option of {@code cryo-engine checkpoint} that asks for this, or null for none. */
    String helperOption() {
        return helperOption;
    }
}
