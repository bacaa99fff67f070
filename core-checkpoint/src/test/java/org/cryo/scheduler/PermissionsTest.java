package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/** Only the owner, root or the scheduler's operators may act on a job; on a node, only root or an operator. */
@ResourceLock(InMemorySchedulerLock.NAME)
class PermissionsTest {
    private final InMemoryScheduler scheduler = new InMemoryScheduler();
    private JobStatus alicesJob;

    @BeforeEach
    void aJobOfAlice() throws Exception {
        InMemoryScheduler.reset();
        InMemoryScheduler.OPERATORS.add("opal");
        alicesJob = InMemoryScheduler.add("5", "alice", Path.of("/nonexistent/.cryo")).status();
    }

    @AfterEach
    void reset() {
        InMemoryScheduler.reset();
    }

    @Test
    void theOwnerRootAndAnOperatorMayActOnAJob() {
        for (String user : new String[] {"alice", "root", "opal"}) {
            assertDoesNotThrow(() -> new Permissions(scheduler, user).ensureMayControl(alicesJob), user);
        }
    }

    @Test
    void anyoneElseIsRefusedWithOneLineNamingTheJobItsOwnerAndTheCaller() {
        SchedulerException e = assertThrows(SchedulerException.class,
                () -> new Permissions(scheduler, "bob").ensureMayControl(alicesJob));
        assertEquals("permission denied: job 5 (RUNNING on " + NodeExecutor.localHostName() + ") belongs to alice;"
                + " only its owner, root or a memory operator may act on it, not bob", e.getMessage());
    }

    @Test
    void onANodeOnlyRootAndOperatorsMayActNotAJobsOwner() {
        assertDoesNotThrow(() -> new Permissions(scheduler, "root").ensurePrivileged("drain node n1"));
        assertDoesNotThrow(() -> new Permissions(scheduler, "opal").ensurePrivileged("drain node n1"));
        SchedulerException e = assertThrows(SchedulerException.class,
                () -> new Permissions(scheduler, "alice").ensurePrivileged("drain node n1"));
        assertEquals("permission denied: only root or a memory operator may drain node n1, not alice", e.getMessage());
    }

    @Test
    void theSchedulerIsAskedOnceForRootNeverAndNotForTheOwner() throws Exception {
        new Permissions(scheduler, "root").ensureMayControl(alicesJob);
        new Permissions(scheduler, "alice").ensureMayControl(alicesJob);
        assertEquals(0, InMemoryScheduler.operatorQuestions, "root and the owner need no operator lookup");
        Permissions bob = new Permissions(scheduler, "bob");
        assertThrows(SchedulerException.class, () -> bob.ensureMayControl(alicesJob));
        assertThrows(SchedulerException.class, () -> bob.ensurePrivileged("drain node n1"));
        assertEquals(1, InMemoryScheduler.operatorQuestions, "asked once per command");
    }
}
