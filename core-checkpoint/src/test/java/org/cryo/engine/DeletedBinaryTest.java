package org.cryo.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A program whose binary was deleted or replaced while it runs (an upgrade) is saved with its
 * pages by content and comes back (program mem_heap_stack.c, run from a copy that is then deleted).
 */
class DeletedBinaryTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aProgramWhoseBinaryIsGoneComesBack() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("gone");
        Path copy = dir.resolve("prog");
        Files.copy(CheckpointHarness.program("mem_heap_stack"), copy);
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(copy.toString(), dir.resolve("go").toString()), Map.of())) {
            Files.delete(copy);
            var context = original.checkpoint();
            original.kill();
            var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
