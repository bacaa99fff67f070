package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * x87, SSE/MXCSR, AVX ymm, AVX-512 zmm0-31 and k0-7 (when the CPU has them), callee-saved
 * general registers and the fs base survive the restart (program native/tests/programs/cpu_state.c).
 *
 * <p>The program waits in an assembly loop that polls the go file with raw syscalls (which
 * preserve every register it checks), so the go needs no signal and cannot race the restore;
 * SIGUSR1 also ends the wait, for use by hand.
 */
class CpuStateTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void registersSurvive() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("cpu_state");
    }
}
