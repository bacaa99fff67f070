package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * cryo pbs checkpoint able|create|disable|enable|error|vacate|restart through bin/cryo, as root,
 * over the core's workflows, on a real job whose session is the one the recorded server record
 * of 3.vm names (25905), the server's answers replayed; and the MoM's checkpoint_abort action
 * during such a vacate (it finds the vacate's marker: it ends the session, nothing more).
 */
class PbsAdminVerbsTest {
    private static final long RECORDED_SESSION = 25905;

    private static MomNode.Result cryo(MomNode node, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "PBS_EXEC=" + node.pbs.dir, "CRYO_CHECKPOINT_DIR=" + node.catalog,
                RecordedPbs.HOME.resolve("bin/cryo").toString(), "pbs"));
        command.addAll(List.of(args));
        return MomNode.exec(command);
    }

    @Test
    void theVerbsOverTheCoreWorkflows() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("A1-running.json").serve("A-qhold-output.txt")
                .serveAfter("qhold 3.vm", "A2-held.json").serve("A-qrls-output.txt");
             MomNode node = new MomNode(pbs).startJob(2000, RECORDED_SESSION)) {
            MomNode.Result able = cryo(node, "checkpoint", "able", "3.vm");
            assertEquals(0, able.status(), able.out());
            assertTrue(able.out().matches("Yes: job 3\\.vm pid \\d+ on vm, 0 context file\\(s\\) in \\S+; PBS checkpoints it"
                    + " on hold and preemption\\s*"), able.out());

            MomNode.Result create = cryo(node, "checkpoint", "create", "3.vm");
            assertEquals(0, create.status(), create.out());
            assertTrue(create.out().contains("context.000001") && create.out().strip().endsWith("; it runs on"), create.out());

            MomNode.Result disable = cryo(node, "checkpoint", "disable", "3.vm");
            assertEquals(0, disable.status(), disable.out());
            MomNode.Result refused = cryo(node, "checkpoint", "create", "3.vm");
            assertEquals(2, refused.status(), refused.out());
            MomNode.Result error = cryo(node, "checkpoint", "error", "3.vm");
            assertTrue(error.out().startsWith("error(1): ") && error.out().contains("disabled"), error.out());
            assertEquals(0, cryo(node, "checkpoint", "enable", "3.vm").status());

            // vacate: checkpoint with the tree held, qhold (the MoM's checkpoint_abort action would run
            // now: see below), the server shows H/60, the held work ends
            int before = node.steps();
            MomNode.Result vacate = cryo(node, "checkpoint", "vacate", "3.vm");
            assertEquals(0, vacate.status(), vacate.out());
            assertTrue(vacate.out().contains("context.000002") && vacate.out().contains("held until 'cryo pbs checkpoint"
                    + " restart 3.vm' (or qrls)"), vacate.out());
            assertTrue(pbs.calls().contains("qhold 3.vm"), pbs.calls().toString());
            int atVacate = node.steps();
            assertTrue(atVacate >= before);
            Thread.sleep(500);
            assertEquals(atVacate, node.steps(), "the work ended");
            assertTrue(Files.exists(node.catalog.resolve("3.vm/vacating")), "cr_run waits: the vacate is marked");

            // the MoM's checkpoint_abort for that qhold: the marker says the vacate has the context
            MomNode.Result abort = node.action("checkpoint_abort");
            assertEquals(0, abort.status(), abort.out());
            assertTrue(abort.out().endsWith("job 3.vm: checkpointed by the vacate under way; session " + RECORDED_SESSION
                    + " ended"), abort.out());
            assertEquals(Map.of(), node.liveMembers(), "the job's shell and cr_run ended: PBS sees the job leave");
            assertEquals(List.of("context.000001", "context.000002"), contexts(node.catalog.resolve("3.vm")),
                    "no third checkpoint");

            MomNode.Result restart = cryo(node, "checkpoint", "restart", "3.vm");
            assertEquals(0, restart.status(), restart.out());
            assertTrue(pbs.calls().contains("qrls 3.vm"), pbs.calls().toString());
        }
    }

    @Test
    void onlyTheOwnerRootOrAnOperatorMayAct() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("A1-running.json").serve("qstat-Bf.json");
             MomNode node = new MomNode(pbs)) {
            MomNode.ensureUser();
            MomNode.exec(List.of("id", "-u", "nobody"));
            List<String> command = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", "env", "PBS_EXEC=" + pbs.dir,
                    "CRYO_CHECKPOINT_DIR=" + node.catalog, RecordedPbs.HOME.resolve("bin/cryo").toString(), "pbs",
                    "checkpoint", "create", "3.vm"));
            MomNode.Result denied = MomNode.exec(command);
            assertEquals(2, denied.status(), denied.out());
            assertTrue(denied.out().contains("permission denied: job 3.vm (R/42 on vm) belongs to pbsuser; only its owner,"
                    + " root or a pbs operator may act on it, not nobody"), denied.out());
            assertTrue(pbs.calls().contains("qstat -Bf -F json"), "the server's managers and operators were asked");
        }
    }

    @Test
    void migrateTakesTheNodeOfflineThenMovesItsJobs() throws Exception {
        // at the end of the recorded run no job was active on vm: offline, nothing to move
        try (RecordedPbs pbs = new RecordedPbs().serveFor("pbsnodes -o -C cryo pbs migrate vm", "P-pbsnodes-offline.txt",
                "recorded with the comment 'cryo drain test': the comment changes nothing").serve("qstat-fx-all-final.json")
                .serve("pbsnodes-av.json")
                .serve("qstat-Bf.json")) {
            MomNode.Result migrate = MomNode.exec(List.of("env", "PBS_EXEC=" + pbs.dir,
                    RecordedPbs.HOME.resolve("bin/cryo").toString(), "pbs", "migrate", "--node", "vm"));
            assertEquals(0, migrate.status(), migrate.out());
            assertEquals("node vm: offline, 0 job(s) migrated", migrate.out().strip());
            assertEquals(List.of("pbsnodes -av -F json", "pbsnodes -o -C cryo pbs migrate vm", "qstat -fx -F json"),
                    pbs.calls());
            MomNode.Result denied = MomNode.exec(List.of("runuser", "-u", "nobody", "--", "env", "PBS_EXEC=" + pbs.dir,
                    RecordedPbs.HOME.resolve("bin/cryo").toString(), "pbs", "migrate", "--node", "vm"));
            assertEquals(2, denied.status(), denied.out());
            assertTrue(denied.out().contains("permission denied: only root or a pbs operator may drain or migrate node vm,"
                    + " not nobody"), denied.out());
        }
    }

    private static List<String> contexts(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("context\\.\\d+")).sorted().toList();
        }
    }
}
