package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A memfd comes back with its name, mode (MFD_EXEC, MFD_NOEXEC_SEAL) and seals, not as an
 * unsealed "cryo-shmem"; one holding a program can still be run with fexecve (a reopened memfd
 * counted as a writer: ETXTBSY).  A memfd sealed against writing that is also mapped is refused
 * (program memfd_seals.c).
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
}
