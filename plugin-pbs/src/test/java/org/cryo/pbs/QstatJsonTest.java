package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Map;
import org.cryo.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;

/** qstat -f -F json as OpenPBS 23.06.06 wrote it, read as text (no PBS needed). */
class QstatJsonTest {
    private static Map<String, Object> recorded(String file) throws Exception {
        return QstatJson.parse(Files.readString(RecordedPbs.RECORDED.resolve(file)), file);
    }

    @Test
    void numericLookingValuesStayTheTextPbsWrote() throws Exception {
        Map<String, Object> job = QstatJson.objectAt(QstatJson.jobs(recorded("Y-json-numeric-strings.json")), "27.vm");
        assertEquals("1e5", QstatJson.text(job, "Job_Name").orElseThrow(), "a double would be 100000.0");
        Map<String, Object> variables = QstatJson.objectAt(job, "Variable_List");
        assertEquals("12345678901234567890", QstatJson.text(variables, "BIG").orElseThrow(), "beyond a long");
        assertEquals("3.10", QstatJson.text(variables, "FL").orElseThrow(), "a double would be 3.1");
        assertEquals("007", QstatJson.text(variables, "ZIP").orElseThrow());
        assertEquals("-5", QstatJson.text(variables, "NEG").orElseThrow());
        Map<String, Object> named123 = QstatJson.objectAt(QstatJson.jobs(recorded("Y-json-jobname-123.json")), "23.vm");
        assertEquals("123", QstatJson.text(named123, "Job_Name").orElseThrow());
    }

    @Test
    void anUnknownIdGetsTheSkeletonWithoutJobs() throws Exception {
        Map<String, Object> document = recorded("J-qstat-unknown-json.stdout.txt");
        assertEquals("23.06.06", QstatJson.text(document, "pbs_version").orElseThrow());
        assertTrue(QstatJson.jobs(document).isEmpty());
        assertTrue(PbsJob.from(document, "999.vm").isEmpty());
    }

    @Test
    void garbageIsOneLineNamingTheCommand() {
        for (String garbage : new String[] {"", "qstat: Unknown Job Id 999.vm", "{\"Jobs\":{\"1.vm\":", "[1,2]",
            "{\"a\":1} trailing", "{" + "\"a\":{".repeat(40) + "}".repeat(41)}) {
            SchedulerException e = assertThrows(SchedulerException.class, () -> QstatJson.parse(garbage, "qstat -fx -F json 1.vm"));
            assertTrue(e.getMessage().startsWith("unreadable output of qstat -fx -F json 1.vm"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void serverAndNodeDocumentsParse() throws Exception {
        Map<String, Object> server = QstatJson.objectAt(QstatJson.objectAt(recorded("qstat-Bf.json"), "Server"), "vm");
        assertEquals("Active", QstatJson.text(server, "server_state").orElseThrow());
        Map<String, Object> node = QstatJson.objectAt(QstatJson.objectAt(recorded("P-pbsnodes-after-offline.json"), "nodes"), "vm");
        assertEquals("offline", QstatJson.text(node, "state").orElseThrow());
    }
}
