package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Periodic-checkpoint intervals as cr_run --checkpoint-interval and cryo sbatch --checkpoint take them. */
class CheckpointIntervalTest {
    @Test
    void aNumberAloneIsMinutesAsInTheOldSbatchCheckpoint() {
        assertEquals(Duration.ofMinutes(2), CheckpointInterval.parse("2"));
        assertEquals(Duration.ofSeconds(30), CheckpointInterval.parse("0.5"));
    }

    @Test
    void unitsAreSecondsMinutesAndHours() {
        assertEquals(Duration.ofSeconds(90), CheckpointInterval.parse("90s"));
        assertEquals(Duration.ofSeconds(90), CheckpointInterval.parse("1.5m"));
        assertEquals(Duration.ofMinutes(2), CheckpointInterval.parse("2min"));
        assertEquals(Duration.ofHours(2), CheckpointInterval.parse(" 2 h "));
        assertEquals(Duration.ofMillis(1500), CheckpointInterval.parse("1.5s"));
    }

    @Test
    void lessThanASecondIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CheckpointInterval.parse("0.5s"));
        assertEquals("checkpoint interval '0.5s' is shorter than a second", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CheckpointInterval.parse("0"));
    }

    @Test
    void anythingElseIsRefusedWithOneLineNamingIt() {
        for (String text : new String[] {"", "m", "-1", "2d", "1e3", "2 m s", "1,5", "5\u001b[31m"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CheckpointInterval.parse(text),
                    text);
            assertTrue(e.getMessage().startsWith("invalid checkpoint interval '"), e.getMessage());
            assertTrue(!e.getMessage().contains("\u001b") && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CheckpointInterval.parse(null));
    }
}
