package org.cryo.slurm;

import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * Who may checkpoint, vacate, restart or migrate a Slurm job: its owner, root, SlurmUser, or a
 * Slurm operator or administrator ({@code sacctmgr show user NAME format=adminlevel}, when the
 * cluster has accounting; without it only SlurmUser and root are privileged), as Slurm itself
 * allows {@code scontrol requeue}.  Checked before anything is done to the job.
 */
final class SlurmPermissions implements JobCheckpointer.Authorizer {
    private final SlurmCommands scontrol;
    private final String me;
    private Boolean privileged;
    private String why = "";

    SlurmPermissions(SlurmCommands scontrol, String me) {
        this.scontrol = scontrol;
        this.me = me;
    }

    @Override
    public void ensureMayControl(JobStatus job) throws SchedulerException {
        if (me.equals(job.user()) || privileged()) {
            return;
        }
        throw new SchedulerException("permission denied: " + job.describe() + " belongs to " + job.user()
                + "; only its owner, root, SlurmUser or a Slurm operator may checkpoint it, not " + me + why);
    }

    /** Node-wide operations (drain, migrate): root, SlurmUser or an operator only. */
    void ensurePrivileged(String what) throws SchedulerException {
        if (!privileged()) {
            throw new SchedulerException("permission denied: only root, SlurmUser or a Slurm operator may " + what
                    + ", not " + me + why);
        }
    }

    /** root, SlurmUser, or AdminLevel Operator/Administrator (cached for this command). */
    synchronized boolean privileged() throws SchedulerException {
        if (privileged == null) {
            privileged = "root".equals(me) || me.equals(scontrol.slurmUser()) || adminLevel();
        }
        return privileged;
    }

    private boolean adminLevel() throws SchedulerException {
        if (scontrol.accountingStorage().endsWith("/none")) {
            why = " (no Slurm accounting: no operators)";
            return false;
        }
        String level = scontrol.adminLevel(me);
        return level.equalsIgnoreCase("Operator") || level.equalsIgnoreCase("Administrator");
    }
}
