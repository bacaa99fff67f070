package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** qsub -c as OpenPBS 23.06.06 stored it (recorded, with queue checkpoint_min 2) and as Torque documents it. */
class CheckpointAttributeTest {
    @Test
    void theRecordedValues() throws Exception {
        Map<String, String> stored = new java.util.LinkedHashMap<>();
        for (String line : Files.readAllLines(RecordedPbs.RECORDED.resolve("W-checkpoint-attr-with-queue-checkpoint_min-2.txt"))) {
            if (line.matches("qsub -c \\S+ -> Checkpoint=\\S+")) {
                stored.put(line.replaceFirst("qsub -c (\\S+) .*", "$1"), line.replaceFirst(".*Checkpoint=", ""));
            }
        }
        assertEquals(Map.of("c", "c=2", "w", "w=2", "c=1", "c=2", "w=5", "w=5", "c=3", "c=3", "s", "s", "n", "n"), stored);
        CheckpointAttribute c2 = CheckpointAttribute.parse(stored.get("c"));
        assertTrue(c2.periodic() && c2.cpuTime());
        assertEquals(Duration.ofMinutes(2), c2.interval());
        CheckpointAttribute w5 = CheckpointAttribute.parse(stored.get("w=5"));
        assertEquals("every 5 min of walltime, and on hold and preemption", w5.describe());
        assertTrue(CheckpointAttribute.parse(stored.get("n")).never());
        assertFalse(CheckpointAttribute.parse(stored.get("s")).periodic());
        // unset, as every other recorded job shows it: allowed on hold and preemption
        assertEquals("on hold and preemption", CheckpointAttribute.parse("u").describe());
        assertFalse(CheckpointAttribute.parse("c").interval().isNegative());
    }

    @Test
    void torquesOptionList() {
        CheckpointAttribute t = CheckpointAttribute.parse("enabled,periodic,interval=10,depth=4,dir=/shared/ckpt");
        assertTrue(t.periodic());
        assertEquals(Duration.ofMinutes(10), t.interval());
        assertEquals(Optional.of(4), t.keep());
        assertEquals("/shared/ckpt", t.directory());
        assertTrue(CheckpointAttribute.parse("none").never());
        assertFalse(CheckpointAttribute.parse("shutdown").periodic());
        assertTrue(CheckpointAttribute.parse("interval=5").periodic(), "an interval alone is periodic");
        for (String bad : new String[] {"x", "c=abc", "interval=-1", "depth=x", "dir=relative", "none,periodic"}) {
            assertThrows(IllegalArgumentException.class, () -> CheckpointAttribute.parse(bad), bad);
        }
    }
}
