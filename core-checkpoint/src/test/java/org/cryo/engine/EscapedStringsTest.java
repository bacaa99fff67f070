package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Strings a user chooses (the working directory, the command line, the name of an open file) are
 * kept in the context file and shown by {@code cryo info} and in error messages: a terminal escape
 * sequence in one is printed as text ({@code \x1b}), and a newline cannot forge a line of output.
 */
class EscapedStringsTest {
    /** An OSC title change, a screen clear, a C1 CSI, DEL and a newline followed by a fake line. */
    private static final String EVIL = "d\u001b]0;owned\u0007\u001b[2J\u009b31m\u007f\nFAKE LINE";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void infoAndErrorsShowControlCharactersAsText() throws Exception {
        Path work = CheckpointHarness.newWorkDir("escapes");
        Path evilDir = Files.createDirectory(work.resolve(EVIL));
        Path evilFile = Files.writeString(evilDir.resolve(EVIL + ".txt"), "data");
        Path context = work.resolve("context.cryo");
        // bash -c: exec sleep with the file open on fd 3, in the evil directory, under an evil argv[0]
        Process job = new ProcessBuilder("bash", "-c", "exec 3<\"$1\"; exec -a \"$2\" sleep 600", "sh",
                evilFile.toString(), EVIL).directory(evilDir.toFile()).start();
        try {
            awaitExec(job.pid());
            var checkpoint = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(),
                    "-f", context.toString(), Long.toString(job.pid())), Duration.ofSeconds(60));
            assertEquals(0, checkpoint.status(), checkpoint.describe());

            for (List<String> args : List.of(List.of("info"), List.of("info", "--json"))) {
                var info = cryo(args, context);
                assertEquals(0, info.status(), info.describe());
                String all = String.join("\n", info.out());
                assertNoControls(all);
                assertFalse(info.out().stream().anyMatch(l -> l.strip().startsWith("FAKE LINE")), all);
                assertTrue(all.contains("\\x1b]0;owned") || all.toLowerCase().contains("\\u001b]0;owned"), all);
            }

            // an engine error that quotes the directory: the restart of a file whose input changed
            Files.writeString(evilFile, "changed, and longer");
            job.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            var restart = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_restart").toString(),
                    context.toString()), Duration.ofSeconds(60));
            assertNotEquals(0, restart.status(), restart.describe());
            CheckpointHarness.assertOneLineError(restart.err());
            String error = String.join("\n", restart.err());
            assertNoControls(error);
            assertTrue(error.contains("\\x1b"), error);
        } finally {
            job.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            CheckpointHarness.deleteTree(work);
        }
    }

    private static CheckpointHarness.CommandResult cryo(List<String> args, Path context) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(CheckpointHarness.launcher("cryo").toString()));
        command.addAll(args);
        command.add(context.toString());
        return CheckpointHarness.run(command, Duration.ofSeconds(60));
    }

    private static void assertNoControls(String text) {
        for (char c : text.toCharArray()) {
            boolean control = (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c <= 0x9f);
            assertFalse(control, String.format("control character U+%04X reached the output: %s", (int) c,
                    new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.US_ASCII)));
        }
    }

    /** Until the bash wrapper has become sleep (its exe is sleep's). */
    private static void awaitExec(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                if (Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString().endsWith("/sleep")) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not there yet
            }
            Thread.sleep(10);
        }
        throw new AssertionError("process " + pid + " never became sleep");
    }
}
