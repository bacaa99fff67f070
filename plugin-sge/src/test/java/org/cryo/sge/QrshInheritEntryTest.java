package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeEntry;
import org.junit.jupiter.api.Test;

/** node.exec = scheduler on Grid Engine: qrsh -inherit, as the job's owner, with the job's JOB_ID. */
class QrshInheritEntryTest {
    @Test
    void rootBecomesTheOwnerAndNamesTheJob() {
        JobStatus job = new JobStatus("31", JobState.RUNNING, "r", "alice", List.of("sgenode2"), Path.of("/tmp"), "", true);
        NodeEntry entry = SgeAdapter.qrshInherit(job, "sgenode2", true);
        assertEquals(List.of("runuser", "-u", "alice", "--", "qrsh", "-inherit", "sgenode2"), entry.prefix());
        assertEquals(Map.of("JOB_ID", "31", "SGE_TASK_ID", "undefined"), entry.environment());
        assertTrue(entry.asJobUser());
        assertTrue(entry.remoteShell(), "qrsh -inherit splits the command line again");
        assertEquals(List.of("qrsh", "-inherit", "sgenode2"), SgeAdapter.qrshInherit(job, "sgenode2", false).prefix());
    }
}
