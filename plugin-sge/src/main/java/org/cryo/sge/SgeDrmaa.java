package org.cryo.sge;

import org.cryo.api.SafeText;
import org.cryo.scheduler.SchedulerException;
import org.ggf.drmaa.DrmaaException;
import org.ggf.drmaa.Session;
import org.ggf.drmaa.SessionFactory;

/**
 * Job control through DRMAA 1.0 (Grid Engine's own implementation, {@code com.sun.grid.drmaa},
 * over {@code libdrmaa.so}): SUSPEND, RESUME, HOLD, RELEASE, TERMINATE and the job's program
 * status.  One session per JVM (DRMAA allows no more); close it when done.
 *
 * <p>What the JVM needs, else {@link #open} fails with one line saying which: the implementation
 * jar on the class path ({@code /usr/share/java/drmaa.jar}), {@code libdrmaa.so} on
 * {@code java.library.path} ({@code /usr/lib/gridengine-drmaa/lib}), {@code SGE_ROOT}, and
 * {@code GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096} in its environment from its start
 * (libdrmaa pulls in libjemalloc, whose initial-exec TLS does not fit otherwise).  bin/.launcher
 * and the tests' surefire configuration provide them.
 */
public final class SgeDrmaa implements AutoCloseable {
    /** DRMAA's control actions, by their Grid Engine meaning. */
    public enum Action {
        /** {@code qmod -sj}: for a job with Cryo's environment, migration (checkpoint, end, reschedule). */
        SUSPEND(Session.SUSPEND),
        RESUME(Session.RESUME),
        /** {@code qhold}: a running job runs on; it stays held after it leaves (a vacate). */
        HOLD(Session.HOLD),
        RELEASE(Session.RELEASE),
        /** {@code qdel}: SIGKILL at once. */
        TERMINATE(Session.TERMINATE);

        final int code;

        Action(int code) {
            this.code = code;
        }
    }

    private final Session session;

    private SgeDrmaa(Session session) {
        this.session = session;
    }

    /** A DRMAA session with the cell's qmaster; one line on failure. */
    public static SgeDrmaa open() throws SchedulerException {
        Session session;
        try {
            session = SessionFactory.getFactory().getSession();
        } catch (RuntimeException | LinkageError e) {
            throw unavailable(e);
        }
        try {
            session.init("");
        } catch (DrmaaException e) {
            throw new SchedulerException("DRMAA: " + message(e), e);
        } catch (RuntimeException | LinkageError e) {
            throw unavailable(e);
        }
        return new SgeDrmaa(session);
    }

    private static SchedulerException unavailable(Throwable e) {
        return new SchedulerException("DRMAA is not usable here (" + SafeText.escape(String.valueOf(e.getMessage()))
                + "): it needs Grid Engine's drmaa.jar, libdrmaa.so on java.library.path, SGE_ROOT and"
                + " GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096", e);
    }

    /** "SGE 8.1.9" */
    public String drmSystem() {
        return session.getDrmSystem();
    }

    /** {@code Session.control(jobId, action)}. */
    public void control(String jobId, Action action) throws SchedulerException {
        try {
            session.control(jobId, action.code);
        } catch (DrmaaException e) {
            throw new SchedulerException("DRMAA " + action + " of job " + SafeText.escape(jobId) + ": " + message(e), e);
        }
    }

    /** The job's DRMAA program status, by name: RUNNING, USER_SUSPENDED, QUEUED_ACTIVE, USER_ON_HOLD, DONE, ... */
    public String status(String jobId) throws SchedulerException {
        try {
            return statusName(session.getJobProgramStatus(jobId));
        } catch (DrmaaException e) {
            throw new SchedulerException("DRMAA status of job " + SafeText.escape(jobId) + ": " + message(e), e);
        }
    }

    static String statusName(int status) {
        return switch (status) {
            case Session.UNDETERMINED -> "UNDETERMINED";
            case Session.QUEUED_ACTIVE -> "QUEUED_ACTIVE";
            case Session.SYSTEM_ON_HOLD -> "SYSTEM_ON_HOLD";
            case Session.USER_ON_HOLD -> "USER_ON_HOLD";
            case Session.USER_SYSTEM_ON_HOLD -> "USER_SYSTEM_ON_HOLD";
            case Session.RUNNING -> "RUNNING";
            case Session.SYSTEM_SUSPENDED -> "SYSTEM_SUSPENDED";
            case Session.USER_SUSPENDED -> "USER_SUSPENDED";
            case Session.USER_SYSTEM_SUSPENDED -> "USER_SYSTEM_SUSPENDED";
            case Session.DONE -> "DONE";
            case Session.FAILED -> "FAILED";
            default -> "status " + status;
        };
    }

    private static String message(DrmaaException e) {
        return SafeText.escape(String.valueOf(e.getMessage()).strip());
    }

    @Override
    public void close() {
        try {
            session.exit();
        } catch (DrmaaException | RuntimeException ignored) {
            // the session ends with the JVM anyway
        }
    }
}
