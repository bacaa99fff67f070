package org.cryo.sge;

import java.util.List;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * Who may checkpoint, vacate, migrate or restart a Grid Engine job: its owner, root, or a Grid
 * Engine manager or operator ({@code qconf -sm}, {@code qconf -so}), as Grid Engine itself lets
 * them {@code qmod -sj} and {@code qhold} it.  Checked before anything is done to the job.
 */
final class SgePermissions implements JobCheckpointer.Authorizer {
    private final SgeCommands qconf;
    private final String me;
    private Boolean privileged;

    SgePermissions(SgeCommands qconf, String me) {
        this.qconf = qconf;
        this.me = me;
    }

    @Override
    public void ensureMayControl(JobStatus job) throws SchedulerException {
        if (me.equals(job.user()) || privileged()) {
            return;
        }
        throw new SchedulerException("permission denied: job " + job.jobId() + " belongs to " + job.user()
                + "; only its owner, root or a Grid Engine manager or operator may checkpoint it, not " + me);
    }

    /** Host-wide operations (migrate a host): root, managers and operators. */
    void ensurePrivileged(String what) throws SchedulerException {
        if (!privileged()) {
            throw new SchedulerException("permission denied: only root or a Grid Engine manager or operator may " + what
                    + ", not " + me);
        }
    }

    synchronized boolean privileged() throws SchedulerException {
        if (privileged == null) {
            privileged = "root".equals(me) || contains(qconf.managers()) || contains(qconf.operators());
        }
        return privileged;
    }

    private boolean contains(List<String> users) {
        return users.contains(me);
    }
}
