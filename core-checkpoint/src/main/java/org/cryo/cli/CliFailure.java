package org.cryo.cli;

/** A failure a command reports itself: one line for stderr and the exit status to use. */
final class CliFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    CliFailure(String message, int status) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
