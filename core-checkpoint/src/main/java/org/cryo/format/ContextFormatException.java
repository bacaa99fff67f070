package org.cryo.format;

/** A context file that is not what format.h says it must be.  The message is one line. */
public final class ContextFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public ContextFormatException(String message) {
        super(message);
    }

    public ContextFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
