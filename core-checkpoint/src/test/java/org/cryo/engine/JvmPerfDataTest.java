package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A JVM maps its perf data, /tmp/hsperfdata_USER/PID, shared; every JVM that starts deletes the
 * files of processes that no longer run, and a checkpointed, killed JVM is one of them.  The
 * engine saves such a small file of a tmp directory with the checkpoint and recreates it at
 * restart if it is gone; Cryo's own launchers run without perf data, so they delete nobody's.
 */
class JvmPerfDataTest {
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aJvmCheckpointedWithCrCheckpointRestartsWithCrRestartAfterAnotherJvmCleanedUp() throws Exception {
        Path source = Path.of(JvmPerfDataTest.class.getResource("/Progress.java").toURI());
        Path dir = CheckpointHarness.newWorkDir("jvm_perfdata");
        assertEquals(0, javax.tools.ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", dir.toString(), source.toString()), "javac failed");
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(JAVA.toString(), "-XX:+UseSerialGC", "-Xmx256m", "-cp", dir.toString(), "Progress"), Map.of())) {
            original.out().await(l -> l.equals("PROGRESS 10"), Duration.ofSeconds(60));
            Path perfData = Path.of("/tmp/hsperfdata_" + System.getProperty("user.name"), Long.toString(original.pid()));
            assertTrue(Files.exists(perfData), perfData + " is not there: the JVM has no perf data to lose");
            Path file = dir.resolve("jvm.cryo");
            var saved = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(), "--kill",
                    "-f", file.toString(), Long.toString(original.pid())), Duration.ofSeconds(90));
            assertEquals(0, saved.status(), saved.describe());
            original.kill();
            CheckpointHarness.awaitGone(original.pid());
            int lastBefore = RealProgramsTest.lastProgress(original.out().lines());

            // any JVM started on the node now removes the file of the JVM that no longer runs
            assertEquals(0, CheckpointHarness.run(List.of(JAVA.toString(), "-version"), Duration.ofSeconds(60)).status());
            assertFalse(Files.exists(perfData), perfData + " survived a JVM's start: the test shows nothing");

            var restored = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_restart").toString(),
                    file.toString()), Duration.ofSeconds(120));
            assertEquals(0, restored.status(), restored.describe());
            assertTrue(restored.out().contains("PASS"), restored.describe());
            List<Integer> after = RealProgramsTest.progress(restored.out());
            assertTrue(!after.isEmpty() && after.get(0) > 10 && after.get(0) <= lastBefore + 1,
                    "killed at " + lastBefore + ", then " + after);
            assertEquals(40, after.get(after.size() - 1), restored.describe());
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /**
     * In a mount namespace of its own with a /tmp of its own (other JVMs on the machine would
     * delete the file too), a perf data file of a PID that runs nowhere: every launcher leaves
     * it, a JVM with perf data (the control, which shows the test can fail) removes it.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void cryosLaunchersLeaveOtherJvmsPerfDataAlone() throws Exception {
        for (String launcher : List.of("cr_checkpoint", "cr_restart", "cr_run", "cryo")) {
            assertEquals("KEPT", perfDataAfter(CheckpointHarness.launcher(launcher).toString(), "--help"), launcher);
        }
        assertEquals("DELETED", perfDataAfter(JAVA.toString(), "-version"), "a JVM with perf data");
    }

    private static String perfDataAfter(String... command) throws Exception {
        long dead = unusedPid();
        String script = "set -e; mount -t tmpfs cryo-tmp /tmp; d=/tmp/hsperfdata_$(id -un); mkdir -m 700 $d; "
                + "head -c 32768 /dev/zero > $d/" + dead + "; \"$@\" >/dev/null 2>&1 || true; "
                + "if [ -e $d/" + dead + " ]; then echo KEPT; else echo DELETED; fi";
        List<String> full = new java.util.ArrayList<>(List.of("unshare", "-m", "--propagation", "private",
                "/bin/sh", "-c", script, "sh"));
        full.addAll(List.of(command));
        var result = CheckpointHarness.run(full, Duration.ofSeconds(60));
        assertEquals(0, result.status(), result.describe());
        return String.join("", result.out()).strip();
    }

    /** A PID no process has (a JVM removes the perf data of PIDs that do not answer kill 0). */
    private static long unusedPid() throws Exception {
        long max = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).strip());  // readString stops short on /proc
        for (long pid = max - 1; pid > max / 2; pid--) {
            if (!Files.exists(Path.of("/proc/" + pid))) {
                return pid;
            }
        }
        throw new AssertionError("no free PID");
    }
}
