package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * cryo pbs install-mom-actions through bin/cryo, on copies of the recorded MoM configs: what it
 * prints, what --apply writes (idempotently), and the SIGHUP it sends to the MoM named by
 * mom_priv/mom.lock (here a real process that records the signal).
 */
class InstallMomActionsTest {
    private static final Path CRYO = RecordedPbs.HOME.resolve("bin/cryo");

    private static MomNode.Result cryo(Path pbsHome, String... args) throws Exception {
        // this machine's /etc/pbs.conf (a real PBS may be installed) must not name another MoM's files
        List<String> command = new ArrayList<>(List.of("env", "PBS_HOME=" + pbsHome, "PBS_CONF_FILE=/nonexistent",
                CRYO.toString(), "pbs",
                "install-mom-actions"));
        command.addAll(List.of(args));
        return MomNode.exec(command);
    }

    private static Path pbsHome(String recordedConfig) throws Exception {
        Path home = Files.createTempDirectory("cryo-pbs-home-");
        Files.createDirectories(home.resolve("mom_priv"));
        Files.copy(RecordedPbs.RECORDED.resolve(recordedConfig), home.resolve("mom_priv/config"));
        return home;
    }

    @Test
    void printsThenAppliesOnceAndHupsTheMom() throws Exception {
        Path home = pbsHome("mom_config-default.txt");
        Path hups = home.resolve("hups");
        // SIGHUP back to its default first: a shell cannot trap a signal ignored when it started (a
        // test run under nohup ignores it), and then the stand-in MoM would never see the HUP
        Process mom = new ProcessBuilder("env", "--default-signal=HUP", "sh", "-c",
                "trap 'echo hup >> " + hups + "' HUP; while :; do sleep 0.1; done").start();
        try {
            Files.writeString(home.resolve("mom_priv/mom.lock"), mom.pid() + "\n");
            Path config = home.resolve("mom_priv/config");
            String before = Files.readString(config);
            Path action = RecordedPbs.HOME.resolve("plugin-pbs/bin/cryo-pbs-action").toRealPath();

            MomNode.Result printed = cryo(home);
            assertEquals(0, printed.status(), printed.out());
            assertTrue(printed.out().contains("added to " + config + ": $action checkpoint_abort 600 !" + action
                    + " checkpoint_abort %jobid %sid %taskid %path %uid %gid %login %owner"), printed.out());
            assertTrue(printed.out().contains("(not written: --apply writes them"), printed.out());
            assertTrue(printed.out().contains("qmgr -c 'set sched preempt_order = C'"), printed.out());
            assertEquals(before, Files.readString(config), "printing writes nothing");

            MomNode.Result applied = cryo(home, "--apply");
            assertEquals(0, applied.status(), applied.out());
            List<String> lines = Files.readAllLines(config);
            assertEquals("$restrict_user_maxsysid 999", lines.get(0), "the site's lines stay");
            assertEquals(List.of("checkpoint", "checkpoint_abort", "restart"), lines.stream()
                    .filter(l -> l.startsWith("$action ")).map(l -> l.split(" ")[1]).toList());
            assertTrue(applied.out().contains("sent SIGHUP to the MoM (pid " + mom.pid() + ")"), applied.out());
            MomNode.poll("the MoM got SIGHUP", 10, () -> Files.exists(hups));

            MomNode.Result again = cryo(home, "--apply");
            assertEquals(0, again.status(), again.out());
            assertTrue(again.out().startsWith("MoM config " + config + ": nothing to change"), again.out());
            assertEquals(lines, Files.readAllLines(config));
            assertEquals(1, Files.readAllLines(hups).size(), "nothing changed: no second SIGHUP");
        } finally {
            mom.destroyForcibly();
            mom.waitFor(10, TimeUnit.SECONDS);
            MomNode.exec(List.of("rm", "-rf", home.toString()));
        }
    }

    @Test
    void replacesAnotherActionScriptAndSaysSo() throws Exception {
        Path home = pbsHome("mom_config-test.txt");
        try {
            MomNode.Result applied = cryo(home, "--apply", "--timeout", "900");
            assertEquals(0, applied.status(), applied.out());
            assertTrue(applied.out().contains("replaced in " + home.resolve("mom_priv/config") + ": '$action restart 60"
                    + " !/opt/ckpt-test/action.sh restart"), applied.out());
            assertTrue(applied.out().contains("no MoM runs here"), applied.out());
            List<String> lines = Files.readAllLines(home.resolve("mom_priv/config"));
            assertEquals(3, lines.stream().filter(l -> l.startsWith("$action ") && l.contains(" 900 !")
                    && l.contains("cryo-pbs-action")).count(), lines.toString());
            assertEquals(2, lines.stream().filter(l -> !l.startsWith("$action")).count(), "the other lines stay");
            MomNode.Result torque = cryo(home, "--torque");
            assertTrue(torque.out().contains("$checkpoint_script ") && torque.out().contains("cryo-torque-checkpoint")
                    && torque.out().contains("$restart_script ") && torque.out().contains("$checkpoint_run_exe "),
                    torque.out());
        } finally {
            MomNode.exec(List.of("rm", "-rf", home.toString()));
        }
    }

    @Test
    void anActionScriptTheMomWouldRefuseIsNamed() throws Exception {
        Path script = Files.createTempFile("cryo-pbs-action-", ".sh");
        try {
            Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            assertTrue(MomConfig.refusal(script).orElseThrow().contains("not world-writable"));
            Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            assertTrue(MomConfig.refusal(script).isEmpty(), "root's, 0755: the MoM runs it");
        } finally {
            Files.delete(script);
        }
    }
}
