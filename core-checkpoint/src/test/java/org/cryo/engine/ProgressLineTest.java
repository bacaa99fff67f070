package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.testsupport.Commands;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: cr_checkpoint and cr_restart show bytes done of the total, rate and time left on a
 * terminal (a pty from script(1)), erase the line when done, and say nothing of it on a pipe or
 * with -q.  progress = always (CRYO_PROGRESS) shows it at once instead of after a second, so
 * that the test does not depend on how fast the machine is.  One 64 MiB process serves all.
 */
class ProgressLineTest {
    private static final String ERASE = "\r\u001b[K";

    @Test
    void aTerminalSeesProgressAPipeAndQuietDoNot() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("progress");
        Path hog = CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-bench-memhog");
        Process original = new ProcessBuilder(hog.toString(), "64").redirectErrorStream(true).start();
        long restored = -1;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(original.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            long pid = original.pid();

            String onTerminal = onPty(dir, "cr_checkpoint", "-f", dir.resolve("ctx.1").toString(), Long.toString(pid));
            assertTrue(onTerminal.contains("\rcr_checkpoint: ") && onTerminal.contains(" of 64 MiB"), onTerminal);
            assertTrue(onTerminal.matches("(?s).*MiB/s, \\d+ s left.*"), onTerminal);
            int lastLine = onTerminal.lastIndexOf("\rcr_checkpoint: ");
            assertTrue(onTerminal.indexOf(ERASE, lastLine) > 0, "the line is erased at the end: " + onTerminal);

            Commands.Result piped = Commands.execute(dir, List.of(CheckpointHarness.launcher("cr_checkpoint").toString(), "-f",
                    dir.resolve("ctx.2").toString(), Long.toString(pid)), Map.of("CRYO_PROGRESS", "always"), List.of(), 120);
            assertEquals(0, piped.status(), piped.output());
            assertFalse(piped.output().contains(" of "), "nothing on a pipe: " + piped.output());

            String quiet = onPty(dir, "cr_checkpoint", "-q", "--kill", "-f", dir.resolve("ctx.3").toString(), Long.toString(pid));
            assertFalse(quiet.contains(" of "), "nothing with -q: " + quiet);
            original.waitFor();

            String restart = onPty(dir, "cr_restart", "--detach", dir.resolve("ctx.3").toString());
            assertTrue(restart.contains("\rcr_restart: ") && restart.contains(" of 64 MiB"), restart);
            assertTrue(restart.indexOf(ERASE, restart.lastIndexOf("\rcr_restart: ")) > 0, restart);
            restored = pid;
        } finally {
            original.destroyForcibly();
            if (restored > 0) {
                new ProcessBuilder("kill", "-KILL", Long.toString(restored)).start().waitFor();
                CheckpointHarness.awaitGone(restored);
            }
            CheckpointHarness.deleteTree(dir);
        }
    }

    /** What {@code tool ARGS} wrote on a pseudo-terminal (script(1) records it), with progress = always. */
    private static String onPty(Path dir, String tool, String... args) throws Exception {
        StringBuilder command = new StringBuilder("exec ").append(CheckpointHarness.launcher(tool));
        for (String arg : args) {
            command.append(' ').append(arg);
        }
        Path typescript = dir.resolve("typescript");
        Commands.Result result = Commands.execute(dir, List.of("script", "-qec", command.toString(), typescript.toString()),
                Map.of("CRYO_PROGRESS", "always"), List.of(), 120);
        assertEquals(0, result.status(), result.output());
        return Files.readString(typescript);
    }
}
