package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Open files: offsets, O_APPEND, devices, O_RDWR, directory fds, close-on-exec (program native/tests/programs/files.c). */
class FilesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void openFilesKeepOffsetsFlagsAndIdentity() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("files");
    }
}
