package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeEntry;
import org.junit.jupiter.api.Test;

/** node.exec = scheduler on PBS: pbs_tmrsh from inside the job (its TM cookie), nothing (ssh) from outside. */
class TmrshEntryTest {
    private static final JobStatus JOB = new JobStatus("12.vm", JobState.RUNNING, "R", "pbsuser", List.of("vm2"),
            Path.of("/tmp"), "", true);
    private static final Path BIN = Path.of("/opt/pbs/bin");

    @Test
    void insideTheJobTheTaskManagerStartsIt() {
        Optional<NodeEntry> entry = PbsAdapter.tmrshEntry(BIN, Map.of("PBS_JOBID", "12.vm", "PBS_JOBCOOKIE", "8F3A"), JOB, "vm2");
        assertEquals(List.of("/opt/pbs/bin/pbs_tmrsh", "vm2"), entry.orElseThrow().prefix());
        assertTrue(entry.get().asJobUser());
    }

    @Test
    void outsideTheJobOrForAnotherJobNone() {
        assertTrue(PbsAdapter.tmrshEntry(BIN, Map.of(), JOB, "vm2").isEmpty());
        assertTrue(PbsAdapter.tmrshEntry(BIN, Map.of("PBS_JOBID", "13.vm", "PBS_JOBCOOKIE", "8F3A"), JOB, "vm2").isEmpty());
        assertTrue(PbsAdapter.tmrshEntry(BIN, Map.of("PBS_JOBID", "12.vm"), JOB, "vm2").isEmpty(), "no cookie");
        assertTrue(PbsAdapter.tmrshEntry(BIN, Map.of("PBS_JOBID", "12.vm", "PBS_JOBCOOKIE", "8F3A"), JOB, "-oProxy").isEmpty());
    }
}
