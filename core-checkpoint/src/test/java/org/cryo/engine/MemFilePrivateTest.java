package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A private file mapping: written pages come back as written, unwritten pages are the file's (program native/tests/programs/mem_file_private.c). */
class MemFilePrivateTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void privateFileMappingKeepsWrittenPagesAndFileContent() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("mem_file_private");
    }
}
