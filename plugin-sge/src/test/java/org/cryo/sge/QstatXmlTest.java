package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;

/**
 * The XML of Grid Engine 8.1.9's qstat, as captured from the test cluster (src/test/resources/qstat):
 * a running and a held, rescheduled job, a job's record, an unknown job, a qmaster that does not answer,
 * and XML that is not Grid Engine's (a DTD with an entity is refused, never expanded).
 */
class QstatXmlTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = QstatXmlTest.class.getResourceAsStream("/qstat/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void jobListHasStatesAndQueueInstances() throws Exception {
        List<QstatXml.Listed> jobs = QstatXml.jobList(resource("job_list.xml"));
        assertEquals(2, jobs.size());
        assertEquals(new QstatXml.Listed("57", "root", "r", "all.q@sgenode2"), jobs.get(0));
        assertEquals("sgenode2", jobs.get(0).host());
        assertEquals("hRq", jobs.get(1).states());
        assertEquals("", jobs.get(1).host());
    }

    @Test
    void jobRecordGivesOwnerWorkDirEnvironmentAndRerun() throws Exception {
        SgeJob job = QstatXml.job(resource("job_detail.xml"), QstatXml.jobList(resource("job_list.xml"))).orElseThrow();
        assertEquals("57", job.jobId());
        assertEquals("root", job.owner());
        assertEquals(Path.of("/tmp/cryo-sge/jobs/manual"), job.workDir());
        assertEquals("cryo", job.checkpointName());
        assertTrue(job.restartable());
        assertEquals(JobState.RUNNING, job.status(Map.of()).state());
        assertEquals(List.of("sgenode2"), job.status(Map.of()).nodes());
        assertEquals("", job.status(Map.of()).run(), "qstat names no runs");
        assertEquals(Path.of("/tmp/cryo-sge/jobs/manual/.cryo"), job.status(Map.of()).catalogRoot());
        assertEquals(Path.of("/shared/ckpt"), job.status(Map.of("CRYO_CHECKPOINT_DIR", "/shared/ckpt")).catalogRoot());
    }

    @Test
    void statesMapOntoCryosStates() {
        Map<String, JobState> expected = Map.of("r", JobState.RUNNING, "Rr", JobState.RUNNING, "t", JobState.RUNNING,
                "s", JobState.SUSPENDED, "S", JobState.SUSPENDED, "T", JobState.SUSPENDED, "qw", JobState.PENDING,
                "Rq", JobState.PENDING, "hqw", JobState.HELD, "hRq", JobState.HELD);
        expected.forEach((letters, state) -> assertEquals(state,
                new SgeJob("1", "u", letters, List.of("h"), Path.of("/"), "", true).state(), letters));
        assertEquals(JobState.OTHER, new SgeJob("1", "u", "Eqw", List.of(), Path.of("/"), "", true).state());
        assertEquals(JobState.OTHER, new SgeJob("1", "u", "dr", List.of(), Path.of("/"), "", true).state());
        assertEquals(JobState.FINISHED, new SgeJob("1", "u", "", List.of(), Path.of("/"), "", true).state());
        // a held running job runs on (qhold)
        assertEquals(JobState.RUNNING, new SgeJob("1", "u", "hr", List.of("h"), Path.of("/"), "", true).state());
    }

    @Test
    void anUnknownJobHasNoRecord() throws Exception {
        assertFalse(QstatXml.job(resource("unknown_job.xml"), List.of()).isPresent());
    }

    @Test
    void xmlWithADocumentTypeIsRefusedNotExpanded() {
        String evil = "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                + "<job_info><queue_info><job_list><JB_job_number>&e;</JB_job_number></job_list></queue_info></job_info>";
        SchedulerException e = assertThrows(SchedulerException.class, () -> QstatXml.jobList(evil));
        assertTrue(e.getMessage().startsWith("qstat -xml: not the XML Grid Engine writes: "), e.getMessage());
        assertThrows(SchedulerException.class, () -> QstatXml.jobList("<job_info><unclosed></job_info>"));
    }

    @Test
    void anUnansweringQmasterIsOneLine() throws Exception {
        String xml = resource("communication_error.xml");
        SchedulerException e = assertThrows(SgeCommands.QmasterDown.class,
                () -> SgeCommands.checked(new SgeCommands.Output(0, xml)));
        assertEquals("Grid Engine's qmaster does not answer: unable to send message to qmaster using port 1 on host"
                + " \"vm\": got send error", e.getMessage());
    }
}
