package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The MoM's actions for real, without a PBS daemon ({@link MomNode}): a real job tree checkpointed
 * by checkpoint_abort as root with the owner's credentials, ended with its session, restarted by
 * restart into that same session, checkpointed and restarted again; the periodic checkpoint
 * action; and every refusal leaving the job as it was.  The server's answers are the recorded
 * ones of job 3.vm.
 */
class MomActionsTest {
    private static RecordedPbs recorded() throws Exception {
        return new RecordedPbs().serve("A1-running.json");
    }

    @Test
    void checkpointAbortEndsTheSessionAndRestartBringsTheJobBackIntoIt() throws Exception {
        try (RecordedPbs pbs = recorded(); MomNode node = new MomNode(pbs).startJob(2000)) {
            for (int cycle = 1; cycle <= 2; cycle++) {
                MomNode.Result abort = node.action("checkpoint_abort");
                assertEquals(0, abort.status(), abort.out());
                assertTrue(abort.out().matches(".* checkpoint_abort 3\\.vm: job 3\\.vm: checkpointed pid \\d+ on vm to "
                        + "\\S+/context\\.00000" + cycle + " in \\d+ ms; session " + node.session + " ended"), abort.out());
                assertEquals(Map.of(), node.liveMembers(), "PBS does not end the job: the action did");
                if (cycle == 1) {
                    assertTrue(node.job.waitFor(30, TimeUnit.SECONDS), "the job's shell ended");
                }
                int atCheckpoint = node.steps();
                Thread.sleep(500);
                assertEquals(atCheckpoint, node.steps(), "nothing of the work runs after the checkpoint");
                assertFalse(Files.exists(node.dir.resolve("after")), "the script did not go on after cr_run");

                MomNode.Result restart = node.action("restart");
                assertEquals(0, restart.status(), restart.out());
                assertTrue(restart.out().matches(".* restart 3\\.vm: job 3\\.vm: restarted from \\S+/context\\.00000"
                        + cycle + " as pid \\d+ in session " + node.session), restart.out());
                MomNode.poll("the restored work goes on", 60, () -> node.steps() > atCheckpoint + 2);
                Map<Long, Integer> members = node.liveMembers();
                assertFalse(members.isEmpty(), "the job is in its session again: PBS finds it");
                assertTrue(members.values().stream().allMatch(uid -> uid == node.uid), "as the owner: " + members);
            }
            assertEquals(1, node.starts(), "carried on from its contexts, never from the top");
            List<Integer> steps = node.stepList();
            for (int i = 1; i < steps.size(); i++) {
                assertTrue(steps.get(i) == steps.get(i - 1) + 1 || steps.get(i) <= steps.get(i - 1),
                        "no step skipped: " + steps);
            }
        }
    }

    @Test
    void theCheckpointActionKeepsTheJobRunningAndTheLastContexts() throws Exception {
        try (RecordedPbs pbs = recorded(); MomNode node = new MomNode(pbs).startJob(2000)) {
            Map<String, String> keepTwo = Map.of("CRYO_KEEP_CHECKPOINTS", "2");
            for (int i = 1; i <= 3; i++) {
                MomNode.Result checkpoint = node.action("checkpoint", node.session, keepTwo);
                assertEquals(0, checkpoint.status(), checkpoint.out());
                assertTrue(checkpoint.out().endsWith("; it runs on"), checkpoint.out());
            }
            Path dir = node.catalog.resolve(MomNode.JOB);
            assertEquals(List.of("context.000002", "context.000003"), contexts(dir), "the last 2 kept");
            int before = node.steps();
            MomNode.poll("the job runs on", 30, () -> node.steps() > before);

            // a failed checkpoint (here: a session that is not the job's) deletes no context
            MomNode.Result failed = node.action("checkpoint", 1234567, keepTwo);
            assertEquals(2, failed.status(), failed.out());
            assertTrue(failed.out().contains("is not one of the job's processes (its session is " + node.session
                    + ", not the job's session 1234567)"), failed.out());
            assertEquals(List.of("context.000002", "context.000003"), contexts(dir), "the previous good ones stay");

            // Torque's $checkpoint_script with signal 0 (qchkpt, -c periodic): the same, through its argument list
            MomNode.Result torque = node.mom(keepTwo, "torque-checkpoint", Long.toString(node.session), MomNode.JOB,
                    MomNode.USER, MomNode.USER, node.catalog.toString(), "ckpt.3.vm", "0", "2");
            assertEquals(0, torque.status(), torque.out());
            assertEquals(List.of("context.000003", "context.000004"), contexts(dir));
            assertFalse(node.liveMembers().isEmpty(), "still running");
        }
    }

    @Test
    void everyRefusalLeavesTheJobAsItWas() throws Exception {
        try (RecordedPbs pbs = recorded().serveFor("qstat -fx -F json 999.vm", "J-qstat-unknown-json.txt",
                "-x adds only finished jobs: an unknown id is unknown either way");
             MomNode node = new MomNode(pbs).startJob(2000)) {
            String uid = Integer.toString(node.uid);
            String gid = Integer.toString(node.gid);
            String sid = Long.toString(node.session);
            // a session that is not the job's: the recorded process is not in it
            refused(node, node.action("checkpoint_abort", node.session + 1, Map.of()),
                    "is not one of the job's processes (its session is " + sid + ", not the job's session");
            // an unknown job
            refused(node, node.mom(Map.of(), "checkpoint_abort", "999.vm", sid, "1", "/x", uid, gid, MomNode.USER, "u@vm"),
                    "unknown job 999.vm (PBS: qstat: Unknown Job Id 999.vm)");
            // arguments that do not hold together: never reach Cryo
            refused(node, node.mom(Map.of(), "checkpoint_abort", MomNode.JOB, sid, "1", "/x", "0", "0", MomNode.USER, "u@vm"),
                    "user pbsuser does not have uid 0");
            refused(node, node.mom(Map.of(), "checkpoint_abort", "3.vm;id", sid, "1", "/x", uid, gid, MomNode.USER, "u@vm"),
                    "invalid job id");
            refused(node, node.mom(Map.of(), "checkpoint_abort", MomNode.JOB, "-" + sid, "1", "/x", uid, gid, MomNode.USER, "u@vm"),
                    "invalid %sid '-" + sid + "' (negated only for restart)");
            refused(node, node.mom(Map.of(), "checkpoint_abort", MomNode.JOB, sid), "needs %jobid %sid");
            refused(node, node.mom(Map.of(), "terminate", MomNode.JOB, sid, "1", "NULL", uid, gid, MomNode.USER, "u@vm"),
                    "unknown action");
            // a catalog swapped for a symbolic link
            Path dir = node.catalog.resolve(MomNode.JOB);
            Path moved = node.catalog.resolve("elsewhere");
            Files.move(dir, moved);
            Files.createSymbolicLink(dir, moved);
            refused(node, node.action("checkpoint_abort"), "link");
            Files.delete(dir);
            Files.move(moved, dir);
            // a restart while the job runs: nothing done, it runs on (exit 0: the MoM must not end it)
            MomNode.Result twice = node.action("restart");
            assertEquals(0, twice.status(), twice.out());
            assertTrue(twice.out().contains("still has processes"), twice.out());
            assertEquals(List.of(), contexts(dir), "no checkpoint was taken by any of them");

            // a restart that cannot restore (no context) leaves the session empty: PBS fails the job (F/93)
            node.stop();
            MomNode.Result failed = node.action("restart");
            assertEquals(0, failed.status(), failed.out());
            assertTrue(failed.out().contains("has no context file in") && failed.out().endsWith("the job fails (F/93)"),
                    failed.out());
            assertEquals(Map.of(), node.liveMembers());
        }
    }

    private static void refused(MomNode node, MomNode.Result result, String why) throws Exception {
        assertEquals(2, result.status(), result.out());
        assertTrue(result.out().contains(why), result.out());
        int before = node.steps();
        MomNode.poll("the job runs on untouched", 30, () -> node.steps() > before);
    }

    private static List<String> contexts(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("context\\.\\d+")).sorted().toList();
        }
    }
}
