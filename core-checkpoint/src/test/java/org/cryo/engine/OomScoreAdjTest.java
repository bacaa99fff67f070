package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A restart from a shell at oom_score_adj 1000 (which its children inherit) gives the job back its
 * own, lower value (program native/tests/programs/kernel_attrs.c checks it): the kernel lets any
 * process go down to the floor it inherited (oom_score_adj_min), and below that a restart is
 * refused with a one-line error naming oom_score_adj (that needs a value only CAP_SYS_RESOURCE can
 * set, which this machine's root lacks: not tested here).
 */
class OomScoreAdjTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRestartFromAHigherOomScoreAdjGivesTheRecordedOneBack() throws Exception {
        try (var original = CheckpointHarness.Original.start("kernel_attrs")) {
            var context = original.checkpoint();
            original.kill();
            original.go();
            var restart = CheckpointHarness.run(List.of("/bin/sh", "-c",
                    "echo 1000 > /proc/self/oom_score_adj && exec \"$0\" \"$@\"",
                    CheckpointHarness.launcher("cr_restart").toString(), context.toString()), Duration.ofSeconds(90));
            assertEquals(0, restart.status(), restart.describe());
            assertTrue(restart.out().contains("PASS"), restart.describe());
            assertTrue(restart.out().stream().noneMatch(l -> l.startsWith("FAIL")), restart.describe());
        }
    }
}
