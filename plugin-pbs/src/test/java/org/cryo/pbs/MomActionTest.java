package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The MoM's argument lists: every action call the real OpenPBS 23.06.06 MoM made in the recorded
 * run (its action script logged each argv, the event first as the MoM line gave it), and Torque's
 * $checkpoint_script / $restart_script lists as Torque's documentation gives them.
 */
class MomActionTest {
    /** The argv of each recorded call: "=== ... mode=EVENT" then argv[1]=... lines. */
    private static List<List<String>> recordedCalls(String log) throws Exception {
        List<List<String>> calls = new ArrayList<>();
        List<String> current = null;
        for (String line : Files.readAllLines(RecordedPbs.RECORDED.resolve(log))) {
            if (line.startsWith("=== ")) {
                current = new ArrayList<>(List.of(line.replaceFirst(".* mode=(\\S+).*", "$1")));
                calls.add(current);
            } else if (current != null && line.matches("argv\\[\\d+\\]=.*")) {
                current.add(line.substring(line.indexOf('=') + 1));
            }
        }
        return calls;
    }

    @Test
    void everyRecordedCallParses() throws Exception {
        int checked = 0;
        for (String log : List.of("A-actions.log", "actions-cumulative.log")) {
            for (List<String> argv : recordedCalls(log)) {
                if (argv.get(0).equals("terminate")) {
                    assertThrows(IllegalArgumentException.class, () -> MomAction.parse(argv), "not Cryo's action");
                    continue;
                }
                MomAction action = MomAction.parse(argv);
                assertEquals(argv.get(1), action.jobId());
                assertEquals(Math.abs(Long.parseLong(argv.get(2))), action.session());
                assertEquals("pbsuser", action.user());
                assertTrue(action.path().startsWith("/var/spool/pbs/checkpoint/" + argv.get(1) + ".CK/"), action.path());
                checked++;
            }
        }
        assertTrue(checked >= 25, "the recorded calls: " + checked);
    }

    @Test
    void theRestartGetsTheSessionNegated() throws Exception {
        List<String> restart = recordedCalls("A-actions.log").stream().filter(c -> c.get(0).equals("restart"))
                .findFirst().orElseThrow();
        assertEquals("-25905", restart.get(2));
        MomAction action = MomAction.parse(restart);
        assertEquals(MomAction.Event.RESTART, action.event());
        assertEquals(25905, action.session());
        // only a restart is ever given a negated session
        List<String> abort = new ArrayList<>(recordedCalls("A-actions.log").get(0));
        assertEquals("checkpoint_abort", abort.get(0));
        abort.set(2, "-25905");
        assertThrows(IllegalArgumentException.class, () -> MomAction.parse(abort));
    }

    @Test
    void torquesArgumentLists() {
        // $checkpoint_script: session_id job_id user group checkpoint_dir checkpoint_name signal_num checkpoint_depth
        MomAction hold = MomAction.parse(List.of("torque-checkpoint", "4242", "17.head", "alice", "users",
                "/var/spool/torque/checkpoint/17.head.CK", "ckpt.17.head.1", "15", "3"));
        assertEquals(MomAction.Event.CHECKPOINT_ABORT, hold.event(), "a signal: qhold, the job is to end");
        assertEquals(4242, hold.session());
        assertEquals("17.head", hold.jobId());
        assertEquals("alice", hold.user());
        assertEquals(3, hold.keep());
        MomAction periodic = MomAction.parse(List.of("torque-checkpoint", "4242", "17.head", "alice", "users",
                "/ck", "ckpt.17.head.2", "0", "1"));
        assertEquals(MomAction.Event.CHECKPOINT, periodic.event(), "signal 0: qchkpt or -c periodic, it runs on");
        // $restart_script: session_id job_id user group checkpoint_dir checkpoint_name
        MomAction restart = MomAction.parse(List.of("torque-restart", "4242", "17.head", "alice", "users", "/ck",
                "ckpt.17.head.2"));
        assertEquals(MomAction.Event.RESTART, restart.event());
        assertThrows(IllegalArgumentException.class, () -> MomAction.parse(List.of("torque-restart", "4242", "17.head")));
    }

    @Test
    void badFieldsAreNamed() {
        List<String> good = List.of("checkpoint", "3.vm", "25905", "1", "/var/spool/pbs/checkpoint/3.vm.CK/00000001",
                "1005", "1005", "pbsuser", "pbsuser@vm");
        MomAction.parse(good);
        String[][] bad = {{"1", "3.vm;id", "%jobid"}, {"2", "1", "%sid"}, {"2", "abc", "%sid"}, {"3", "x", "%taskid"},
            {"4", "relative/path", "%path"}, {"5", "-1", "%uid"}, {"6", "", "%gid"}, {"7", "Root Admin", "user"}};
        for (String[] b : bad) {
            List<String> args = new ArrayList<>(good);
            args.set(Integer.parseInt(b[0]), b[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MomAction.parse(args), b[1]);
            assertTrue(e.getMessage().contains(b[2]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MomAction.parse(good.subList(0, 5)));
        assertThrows(IllegalArgumentException.class, () -> MomAction.parse(List.of()));
        assertEquals("", MomAction.parse(List.of("checkpoint", "3.vm", "25905", "1", "NULL", "1005", "1005",
                "pbsuser")).path(), "NULL: no file");
    }
}
