package org.cryo.engine;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * argv, environ, the auxiliary vector, the mm layout in /proc/self/stat and /proc/self/exe are
 * unchanged after the restart (program native/tests/programs/mm_fields.c).
 */
class MmFieldsTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void commandLineEnvironmentAuxvAndExeAreUnchanged() throws Exception {
        try (CheckpointHarness.Original original = CheckpointHarness.Original.start("mm_fields",
                Map.of("CRYO_TEST_VAR", "cryo-value-42"), "alpha", "beta gamma")) {
            var context = original.checkpoint();
            original.kill();
            var restored = original.restart(context, org.cryo.api.RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
