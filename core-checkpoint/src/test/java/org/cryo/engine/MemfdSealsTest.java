package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A memfd comes back with its name, mode (MFD_EXEC, MFD_NOEXEC_SEAL) and seals, not as an
 * unsealed "cryo-shmem"; one holding a program can still be run with fexecve (a reopened memfd
 * counted as a writer: ETXTBSY).  A memfd sealed against writing that is also mapped is refused
 * (program memfd_seals.c).  A memfd only mapped (its descriptors closed) comes back with its name;
 * one with seals is refused (they cannot be restored without a descriptor to read them from).
 * A normal user may not open /proc/PID/map_files, the only place a mapping's seals show: a user's
 * checkpoint refuses a memfd only mapped, sealed or not, in one line naming it.
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

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aUsersMemfdOnlyMappedIsRefusedAndSurvives() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("memfd-map-only-unpriv");
        try {
            var result = UserScript.in(dir)
                    .startJob(CheckpointHarness.program("memfd_seals") + " " + dir + "/go map-only")
                    .then("$engine checkpoint --kill -f job.cryo $J 2> ck.err && exit 3", "cat ck.err", "touch go")
                    .printResult()
                    .run(Duration.ofSeconds(80));
            UserScript.assertPassed(result);
            assertTrue(result.out().stream().anyMatch(l -> l.startsWith("cryo-engine checkpoint: process ")
                    && l.contains("maps /memfd:map-only") && l.contains("its seals and mode can be read only with "
                    + "CAP_CHECKPOINT_RESTORE: refused")), result.describe());
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
