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
    /**
     * Held frozen under the engine's ptrace once the context file is committed (a SIGCONT cannot
     * wake it), until the caller writes {@code KILL} (end it) or anything else (let it run on as
     * before) to the helper's stdin; the helper prints {@code HELD} when it waits.  End of input
     * lets it run on, so a caller that dies harms nothing.  Only for a caller that runs the
     * helper's command itself ({@link Checkpointer#checkpointCommand}): a vacate.
     */
    HOLD("--hold"),
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
