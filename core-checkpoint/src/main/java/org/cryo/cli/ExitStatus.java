package org.cryo.cli;

/** Exit statuses shared by the commands (documented in each --help). */
final class ExitStatus {
    static final int OK = 0;
    /** Usage error or bad input, as BLCR's tools. */
    static final int USAGE = 1;
    /** The operation itself failed (the engine said why on stderr). */
    static final int FAILED = 2;
    /** cryo-engine restore's status when the restore failed (CRYO_RESTORE_FAILED). */
    static final int RESTORE_FAILED = 125;
    /** The command given to cr_run could not be started, as in a shell. */
    static final int CANNOT_RUN = 127;

    private ExitStatus() {
    }
}
