package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A shared file mapping: after the restart writes through it reach the file and back (program native/tests/programs/mem_file_shared.c). */
class MemFileSharedTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sharedFileMappingStaysConnectedToTheFile() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("mem_file_shared");
    }
}
