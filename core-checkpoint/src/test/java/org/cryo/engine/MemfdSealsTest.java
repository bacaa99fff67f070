package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A memfd comes back with its name, mode (MFD_EXEC, MFD_NOEXEC_SEAL) and seals, not as an
 * unsealed "cryo-shmem"; one holding a program can still be run with fexecve (a reopened memfd
 * counted as a writer: ETXTBSY).  A memfd sealed against writing that is also mapped is refused
 * (program memfd_seals.c).  A memfd only mapped (its descriptors closed) comes back with its name;
 * one with seals is refused (they cannot be restored without a descriptor to read them from).
 */
class MemfdSealsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void memfdNameModeAndSealsComeBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("memfd_seals");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWriteSealedMappedMemfdIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("sealed against writing and mapped", "memfd_seals", "mapped");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMemfdOnlyMappedComesBackWithItsName() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("memfd_seals", "map-only");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSealedMemfdOnlyMappedIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("no process of the tree holds a descriptor of it",
                "memfd_seals", "map-only-sealed");
    }
}
