package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.junit.jupiter.api.Test;

/** (job_state, substate, Hold_Types) of every recorded state, mapped to Cryo's (no PBS needed). */
class PbsJobTest {
    private static PbsJob job(String file, String id) throws Exception {
        return PbsJob.from(QstatJson.parse(Files.readString(RecordedPbs.RECORDED.resolve(file)), file), id).orElseThrow();
    }

    private static void state(String file, String id, JobState state, String nativeState) throws Exception {
        PbsJob job = job(file, id);
        assertEquals(state, job.jobState(), file);
        assertEquals(nativeState, job.nativeState(), file);
    }

    @Test
    void everyRecordedStateMapsOnTheTriple() throws Exception {
        state("A1-running.json", "3.vm", JobState.RUNNING, "R/42");
        state("A2-held.json", "3.vm", JobState.HELD, "H/60 Hold_Types=u");
        state("A4-final.json", "3.vm", JobState.FINISHED, "F/93");
        state("H1-suspended.json", "10.vm", JobState.SUSPENDED, "S/43");
        state("K1-after-qhold-c-n.json", "11.vm", JobState.RUNNING, "R/42 Hold_Types=u");
        state("K2-submitted-with-h.json", "12.vm", JobState.HELD, "H/20 Hold_Types=u");
        state("I2-low-preempted.json", "13.vm", JobState.PENDING, "Q/10");
        state("I4-low-restarted.json", "13.vm", JobState.RUNNING, "R/41");
        state("E1-after-failed-qhold.json", "9.vm", JobState.RUNNING, "R/42 Hold_Types=u");
        state("X1-deleted-held.json", "20.vm", JobState.FINISHED, "F/91 Hold_Types=u");
        state("job-simple-finished-qstat-fx.json", "1.vm", JobState.FINISHED, "F/92");
        state("M1-after-failed-restart.json", "13.vm", JobState.FINISHED, "F/92");
        state("P-qstat-f-queued-on-offline-node.json", "43.vm", JobState.PENDING, "Q/10");
    }

    @Test
    void aJobPbsRestartedIsInPrerunAndOneRunningIsNot() throws Exception {
        assertTrue(job("B4-running-after-restart.json", "4.vm").inPrerun());
        assertTrue(job("I4-low-restarted.json", "13.vm").inPrerun());
        assertFalse(job("I1-low-running.json", "13.vm").inPrerun());
        assertTrue(job("K1-after-qhold-c-n.json", "11.vm").neverCheckpointed());
        assertFalse(job("A1-running.json", "3.vm").neverCheckpointed());
    }

    @Test
    void ownerHostsSessionAndCatalogComeFromTheRecord() throws Exception {
        PbsJob low = job("I1-low-running.json", "13.vm");
        assertEquals("pbsuser", low.owner());
        assertEquals(List.of("vm"), low.hosts(), "vm/0*2");
        assertEquals(9934, low.sessionId());
        assertTrue(low.rerunable());
        JobStatus status = low.status(Map.of());
        assertEquals(Path.of("/home/pbsuser/.cryo"), status.catalogRoot());
        assertEquals(List.of("vm"), status.nodes());
        assertEquals(Path.of("/shared/ckpt"), low.status(Map.of("CRYO_CHECKPOINT_DIR", "/shared/ckpt")).catalogRoot());
        assertEquals(List.of(), job("K2-submitted-with-h.json", "12.vm").status(Map.of()).nodes(), "not running: no nodes");
        assertEquals(List.of("a", "b"), PbsJob.hosts("a/0+b/1*2+a/3"));
    }

    @Test
    void aShortIdFindsTheFullOne() throws Exception {
        Map<String, Object> doc = QstatJson.parse(Files.readString(RecordedPbs.RECORDED.resolve("A1-running.json")), "x");
        assertEquals("3.vm", PbsJob.from(doc, "3").orElseThrow().jobId());
        assertTrue(PbsJob.from(doc, "4").isEmpty());
    }
}
