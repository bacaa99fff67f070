package org.cryo.api;

import org.cryo.engine.EngineException;

/**
 * Any failure of a checkpoint, restart or inspection.  Carries what the engine knew: the
 * process, the resource, the syscall and errno (0 / "" when unknown).  The message is one line.
 */
public class CheckpointException extends Exception {
    private static final long serialVersionUID = 1L;

    private final long pid;
    private final String resource;
    private final String syscall;
    private final int errno;

    public CheckpointException(String message) {
        this(message, 0, "", "", 0, null);
    }

    public CheckpointException(String message, Throwable cause) {
        this(message, 0, "", "", 0, cause);
    }

    public CheckpointException(String message, long pid, String resource, String syscall, int errno,
                               Throwable cause) {
        super(message, cause);
        this.pid = pid;
        this.resource = resource == null ? "" : resource;
        this.syscall = syscall == null ? "" : syscall;
        this.errno = errno;
    }

    /** The engine's error, unchanged, with the engine exception as cause. */
    public static CheckpointException from(EngineException e) {
        return new CheckpointException(e.getMessage(), e.pid(), e.resource(), e.syscall(), e.errno(), e);
    }

    /** The process concerned, or 0. */
    public long pid() {
        return pid;
    }

    /** What failed ("memory", "fd 3", "context file", ...), or "". */
    public String resource() {
        return resource;
    }

    /** The failing syscall or operation, or "". */
    public String syscall() {
        return syscall;
    }

    /** errno of the failing call, or 0. */
    public int errno() {
        return errno;
    }
}
