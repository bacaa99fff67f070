package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code cryo-engine checkpoint --hold} (a vacate's checkpoint) on a real tree (program tree.c):
 * once it prints HELD, the context file is complete and every process is frozen under the
 * engine's ptrace, and a SIGCONT (what Slurm sends a job it requeues) does not wake any of them;
 * then "KILL" ends the whole tree, while anything else, or the end of its input, lets every
 * process run on as before, untraced.  The held file restarts the tree.
 */
class HoldTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHeldTreeStaysFrozenThroughSigcontAndRunsOnWhenLetGo() throws Exception {
        try (var original = CheckpointHarness.Original.start("tree")) {
            List<Long> tree = liveTree(original.pid());
            assertTrue(tree.size() >= 4, "the tree has " + tree.size() + " live processes");

            Process engine = hold(original.pid(), original.dir().resolve("first.cryo"));
            BufferedReader out = new BufferedReader(new InputStreamReader(engine.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HELD", out.readLine());
            assertTrue(Files.size(original.dir().resolve("first.cryo")) > 0, "the file is complete when HELD");
            sigcont(tree);
            for (long pid : tree) {
                assertEquals('t', state(pid), "process " + pid + " stays held through SIGCONT");
            }
            engine.getOutputStream().write("CONT\n".getBytes(StandardCharsets.US_ASCII));
            engine.getOutputStream().close();
            assertTrue(out.readLine().startsWith("OK\t"));
            assertTrue(engine.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, engine.exitValue());
            for (long pid : tree) {
                awaitRunningUntraced(pid);
            }

            // the end of input (a caller that died) lets go too
            Process orphaned = hold(original.pid(), original.dir().resolve("second.cryo"));
            BufferedReader out2 = new BufferedReader(new InputStreamReader(orphaned.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HELD", out2.readLine());
            orphaned.getOutputStream().close();
            assertTrue(orphaned.waitFor(30, TimeUnit.SECONDS));
            for (long pid : tree) {
                awaitRunningUntraced(pid);
            }

            Path file = original.dir().resolve("third.cryo");
            Process ending = hold(original.pid(), file);
            BufferedReader out3 = new BufferedReader(new InputStreamReader(ending.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HELD", out3.readLine());
            ending.getOutputStream().write("KILL\n".getBytes(StandardCharsets.US_ASCII));
            ending.getOutputStream().close();
            assertTrue(ending.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, ending.exitValue());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(Long::longValue).toArray());

            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    private static Process hold(long pid, Path file) throws Exception {
        List<String> command = Checkpointer.create().checkpointCommand(pid,
                CheckpointOptions.builder().file(file).endAction(EndAction.HOLD).build());
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The root and its descendants that are not zombies. */
    private static List<Long> liveTree(long root) throws Exception {
        List<Long> pids = new ArrayList<>(List.of(root));
        ProcessHandle.of(root).orElseThrow().descendants().forEach(p -> pids.add(p.pid()));
        pids.removeIf(pid -> {
            try {
                return state(pid) == 'Z';
            } catch (Exception gone) {
                return true;
            }
        });
        return pids;
    }

    private static void sigcont(List<Long> pids) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-CONT"));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        assertEquals(0, new ProcessBuilder(command).start().waitFor());
    }

    /** Polls (bounded) until {@code pid} has no tracer and is neither held nor stopped. */
    private static void awaitRunningUntraced(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            boolean free = status.contains("TracerPid:\t0")
                    && status.stream().noneMatch(l -> l.startsWith("State:\tt") || l.startsWith("State:\tT"));
            if (free) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "process " + pid + " was not let go: " + status);
            Thread.sleep(20);
        }
    }

    /** /proc/PID/stat's state letter (after the name, which may hold spaces). */
    static char state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
