package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which run of a job this is, and which run a recorded process belongs to. */
class JobRunTest {
    @Test
    void aRestartCountOfZeroOrNoneIsTheFirstStart() {
        assertEquals(new JobRun("0", JobRun.Start.FIRST), JobRun.counted(null));
        assertEquals(new JobRun("0", JobRun.Start.FIRST), JobRun.counted(""));
        assertEquals(new JobRun("0", JobRun.Start.FIRST), JobRun.counted(" 0 "));
    }

    @Test
    void aPositiveRestartCountIsARerunNamedByItsCount() {
        assertEquals(new JobRun("3", JobRun.Start.RERUN), JobRun.counted("3"));
        assertEquals(new JobRun("7", JobRun.Start.RERUN), JobRun.counted("007"));
    }

    @Test
    void aCountThatIsNotANumberLeavesTheRunUnknown() {
        for (String text : new String[] {"-1", "two", "1.5", "99999999999", "3\n4"}) {
            assertEquals(JobRun.unknown(), JobRun.counted(text), text);
        }
    }

    @Test
    void onlyARerunOrAnUnknownStartRestartsAndOnlyFromAContext() {
        assertFalse(new JobRun("0", JobRun.Start.FIRST).restartsFromContext(true), "a first start runs from the top");
        assertTrue(new JobRun("1", JobRun.Start.RERUN).restartsFromContext(true));
        assertFalse(new JobRun("1", JobRun.Start.RERUN).restartsFromContext(false), "no context: from the top");
        assertTrue(JobRun.unknown().restartsFromContext(true), "PBS: a context tells a rerun");
        assertFalse(JobRun.unknown().restartsFromContext(false));
    }

    @Test
    void aProcessOfAnotherRunIsNotThisRunsUnlessARunIsUnnamed() {
        assertTrue(JobRun.sameRun("2", "2"));
        assertFalse(JobRun.sameRun("2", "1"), "the previous run's process");
        assertTrue(JobRun.sameRun("", "1"), "the scheduler does not name runs");
        assertTrue(JobRun.sameRun("2", ""), "the record names none");
    }

    @Test
    void aRunIdIsShortPlainText() {
        assertThrows(IllegalArgumentException.class, () -> new JobRun("1\u001b[31m", JobRun.Start.RERUN));
        assertThrows(IllegalArgumentException.class, () -> new JobRun("x".repeat(65), JobRun.Start.RERUN));
        assertThrows(IllegalArgumentException.class, () -> new JobRun("1 2", JobRun.Start.RERUN));
        assertEquals("12.3:sge-4_5", new JobRun("12.3:sge-4_5", JobRun.Start.RERUN).id());
    }
}
