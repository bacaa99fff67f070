package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process that unmapped its [vdso] and [vvar] used to be refused (no syscall instruction to
 * inject through); it is checkpointed through a syscall instruction of its own text and comes
 * back without them (program no_vdso.c).
 */
class NoVdsoTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aProcessWithoutVdsoComesBackWithout() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("no_vdso");
    }
}
