package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What each Slurm's 'scontrol show config' says of AccountingStorageType when there is no accounting. */
class SlurmOperatorsTest {
    @Test
    void noAccountingIsNoneOn2205AndNullOn2411() {
        assertFalse(SlurmOperators.hasAccounting("accounting_storage/none"), "22.05");
        assertFalse(SlurmOperators.hasAccounting("(null)"), "24.11 has no accounting_storage/none plugin");
        assertFalse(SlurmOperators.hasAccounting(""));
        assertTrue(SlurmOperators.hasAccounting("accounting_storage/slurmdbd"));
    }
}
