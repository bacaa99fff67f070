package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * /proc files of the tree's own processes (status, stat, the /proc/PID directory, ns/net,
 * task/PID/comm) and O_PATH descriptors (of a file, of a symbolic link) come back naming the same
 * process, namespace, file or link; a /proc file of a process outside the tree is refused
 * (program native/tests/programs/proc_files.c).
 */
class ProcFilesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void procFilesAndOPathDescriptorsComeBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("proc_files");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aProcFileOfAProcessOutsideIsRefusedAndSurvives() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("outside the checkpoint", "proc_files", "outside");
    }

    /**
     * A /proc file and a pidfd inherited across fork stay one open file in parent and child after
     * the restart: offset and flags shared (program proc_shared.c).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void inheritedProcFilesAndPidfdsStayShared() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("proc_shared");
    }
}
