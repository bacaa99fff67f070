package org.cryo.slurm;

import org.cryo.scheduler.SchedulerException;

/**
 * Slurm's operators, who may act on every job and node as Slurm itself lets them
 * {@code scontrol requeue}: SlurmUser, and users with AdminLevel Operator or Administrator
 * ({@code sacctmgr show user NAME format=adminlevel}) when the cluster has accounting; without
 * accounting only SlurmUser (root always may: the core's rule).
 */
final class SlurmOperators {
    private final SlurmCommands scontrol;

    SlurmOperators(SlurmCommands scontrol) {
        this.scontrol = scontrol;
    }

    boolean isOperator(String user) throws SchedulerException {
        if (user.equals(scontrol.slurmUser())) {
            return true;
        }
        if (scontrol.accountingStorage().endsWith("/none")) {
            return false;   // no accounting: no admin levels
        }
        String level = scontrol.adminLevel(user);
        return level.equalsIgnoreCase("Operator") || level.equalsIgnoreCase("Administrator");
    }
}
