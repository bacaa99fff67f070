package org.cryo.scheduler;

/**
 * Who may act on a job: its owner, root, or one of the scheduler's operators (the adapter says
 * who: {@link SchedulerAdapter#isOperator}); on a node (drain, migrate): root or an operator.
 * Checked before anything is read from the job's catalog or done to the job.
 */
public final class Permissions {
    private final SchedulerAdapter adapter;
    private final String me;
    private Boolean privileged;

    public Permissions(SchedulerAdapter adapter, String me) {
        this.adapter = adapter;
        this.me = me;
    }

    /** The user this check is for. */
    public String user() {
        return me;
    }

    /** Throws a one-line refusal unless this user may checkpoint, vacate, restart or configure {@code job}. */
    public void ensureMayControl(JobStatus job) throws SchedulerException {
        if (me.equals(job.user()) || privileged()) {
            return;
        }
        throw new SchedulerException("permission denied: " + job.describe() + " belongs to " + job.user()
                + "; only its owner, root or a " + adapter.scheduler() + " operator may act on it, not " + me);
    }

    /** Throws a one-line refusal unless this user may {@code what} (a node-wide operation). */
    public void ensurePrivileged(String what) throws SchedulerException {
        if (!privileged()) {
            throw new SchedulerException("permission denied: only root or a " + adapter.scheduler() + " operator may "
                    + what + ", not " + me);
        }
    }

    /** root, or an operator of the scheduler (asked once per command). */
    public synchronized boolean privileged() throws SchedulerException {
        if (privileged == null) {
            privileged = "root".equals(me) || adapter.isOperator(me);
        }
        return privileged;
    }
}
