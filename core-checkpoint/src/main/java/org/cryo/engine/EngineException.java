package org.cryo.engine;

/**
 * A failure reported by the native engine: the Java image of {@code struct cryo_error}.
 * Thrown by the JNI glue (native/src/jni/cryo_jni.c), which calls exactly this constructor.
 */
public final class EngineException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int pid;
    private final String resource;
    private final String syscall;
    private final int errno;

    public EngineException(String message, int pid, String resource, String syscall, int errno) {
        super(message);
        this.pid = pid;
        this.resource = resource == null ? "" : resource;
        this.syscall = syscall == null ? "" : syscall;
        this.errno = errno;
    }

    /** The process concerned, or 0. */
    public int pid() {
        return pid;
    }

    /** What failed: "memory", "fd 3", "context file", ... or "". */
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
