package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeEntry;
import org.junit.jupiter.api.Test;

/** The srun command line of node.exec = scheduler (SchedulerNodeExecTest runs it on both clusters). */
class SrunEntryTest {
    private static JobStatus job(String id, String user) {
        return new JobStatus(id, JobState.RUNNING, "RUNNING", user, List.of("node2"), Path.of("/tmp"), "", true);
    }

    @Test
    void rootBecomesTheOwnerBeforeSrunAndTheStepOverlaps() {
        NodeEntry entry = SlurmAdapter.srunInto("srun", job("17", "alice"), "node2", true);
        assertEquals(List.of("runuser", "-u", "alice", "--", "srun", "--jobid=17", "--overlap", "--nodelist=node2",
                "--nodes=1", "--ntasks=1", "--job-name=cryo-checkpoint", "--quiet", "--"), entry.prefix());
        assertTrue(entry.asJobUser());
        assertEquals(List.of("/x/run.sh", "srun", "--jobid=17"),
                SlurmAdapter.srunInto("/x/run.sh srun", job("17", "alice"), "node2", false).prefix().subList(0, 3));
        assertEquals("srun", SlurmAdapter.srunInto("srun", job("17", "root"), "node2", true).prefix().get(0));
    }

    @Test
    void aMalformedJobIdIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SlurmAdapter.srunInto("srun", job("17;rm", "alice"), "node2", true));
    }
}
