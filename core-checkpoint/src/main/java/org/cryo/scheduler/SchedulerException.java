package org.cryo.scheduler;

/** A scheduler operation failed; the message is one line naming the job or node and the reason. */
public class SchedulerException extends Exception {
    private static final long serialVersionUID = 1L;

    public SchedulerException(String message) {
        super(message);
    }

    public SchedulerException(String message, Throwable cause) {
        super(message, cause);
    }
}
