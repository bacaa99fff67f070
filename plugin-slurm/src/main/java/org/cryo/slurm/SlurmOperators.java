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
        if (!hasAccounting(scontrol.accountingStorage())) {
            return false;   // no accounting: no admin levels
        }
        String level = scontrol.adminLevel(user);
        return level.equalsIgnoreCase("Operator") || level.equalsIgnoreCase("Administrator");
    }

    /**
     * Whether {@code scontrol show config}'s AccountingStorageType names a real plugin: 22.05
     * shows "accounting_storage/none" when there is none, 24.11 "(null)" (and sacctmgr then only
     * says "Only 'accounting_storage/slurmdbd' is supported").
     */
    static boolean hasAccounting(String accountingStorageType) {
        String type = accountingStorageType.strip();
        return !type.isEmpty() && !type.equals("(null)") && !type.endsWith("/none");
    }
}
