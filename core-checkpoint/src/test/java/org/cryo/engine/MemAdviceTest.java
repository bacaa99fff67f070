package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.cryo.engine.CheckpointHarness.Original;
import org.cryo.engine.CheckpointHarness.Restored;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Advice kept in a mapping comes back with it: MADV_DONTFORK, MADV_WIPEONFORK, MADV_DONTDUMP,
 * MADV_HUGEPAGE, MADV_NOHUGEPAGE (smaps VmFlags dc, wf, dd, hg, nh, each alone) and a
 * MAP_DROPPABLE mapping (dp; it used to come back as an ordinary private one); a fork after the
 * restart honours them (program mem_advice.c).
 */
class MemAdviceTest {
    private static final int SIGUSR1 = 10;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void adviceAndDroppableMappingsComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("mem_advice");
    }

    /**
     * The engine reads smaps before it freezes (a walk of every page, kept out of the frozen
     * time) and, frozen, reads it again beside the rest: advice given to a whole mapping between
     * the two reads, which its line in maps does not show, is the process's at the freeze and
     * comes back (program advice_late.c; the engine signals it at that moment).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void adviceGivenJustBeforeTheFreezeComesBack() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("advice_late");
        Path advised = dir.resolve("advised");
        try (Original original = Original.startCommand(dir, List.of(CheckpointHarness.program("advice_late").toString(),
                dir.resolve("go").toString(), advised.toString()), Map.of())) {
            Path file = dir.resolve("late.cryo");
            CheckpointHarness.CommandResult r = CheckpointHarness.run(List.of("/usr/bin/env",
                    "CRYO_FAULT_SIGNAL_BEFORE_FREEZE=" + SIGUSR1 + ":" + advised,
                    CheckpointHarness.launcher("cr_checkpoint").toString(), "--kill", "-f", file.toString(),
                    Long.toString(original.pid())), Duration.ofSeconds(30));
            assertEquals(0, r.status(), r.describe());
            original.kill();
            Restored restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }
}
