package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process with a thread under SECCOMP_MODE_STRICT used to be killed by the checkpoint (its first
 * injected syscall); one under a seccomp filter came back without it.  Both are refused with a
 * one-line error naming seccomp, before anything is injected, and run on unharmed (program
 * native/tests/programs/seccomp_target.c).
 */
class SeccompTest {
    private static void assertRefusedAndSurvives(String mode, String expected) throws Exception {
        try (var original = CheckpointHarness.Original.start("seccomp_target", mode)) {
            CheckpointException e = assertThrows(CheckpointException.class, original::checkpoint);
            CheckpointHarness.assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertFalse(Files.exists(original.dir().resolve("context.cryo")), "a context file was left");
            assertTrue(original.isAlive(), "the checkpoint killed the process");
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aThreadInStrictModeIsRefusedAndSurvives() throws Exception {
        assertRefusedAndSurvives("strict", "runs under SECCOMP_MODE_STRICT");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSeccompFilterIsRefusedAndSurvives() throws Exception {
        assertRefusedAndSurvives("filter", "runs under a seccomp filter");
    }
}
