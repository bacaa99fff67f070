package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Advice kept in a mapping comes back with it: MADV_DONTFORK, MADV_WIPEONFORK, MADV_DONTDUMP,
 * MADV_HUGEPAGE, MADV_NOHUGEPAGE (smaps VmFlags dc, wf, dd, hg, nh, each alone) and a
 * MAP_DROPPABLE mapping (dp; it used to come back as an ordinary private one); a fork after the
 * restart honours them (program mem_advice.c).
 */
class MemAdviceTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void adviceAndDroppableMappingsComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("mem_advice");
    }
}
