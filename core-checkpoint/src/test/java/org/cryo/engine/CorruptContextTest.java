package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Truncated files and files with one byte flipped (in the header, the table, each section, the
 * page data) are refused by restart with a one-line error and no process runs; the intact file
 * then restarts fine (program baseline.c).
 */
class CorruptContextTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void truncatedAndFlippedFilesAreRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path context = original.checkpoint();
            original.kill();
            original.go();   // a process that wrongly starts prints at once
            byte[] good = Files.readAllBytes(context);
            ContextLayout layout = new ContextLayout(good);
            assertTrue(layout.sectionCount >= 5, "too few sections: " + layout.sectionCount);
            Path bad = original.dir().resolve("bad.cryo");

            Map<String, byte[]> cases = new LinkedHashMap<>();
            for (long size : new long[] {0, 1, 63, 64, layout.tableOffset, good.length / 2, good.length - 1}) {
                cases.put("truncated to " + size, java.util.Arrays.copyOf(good, (int) size));
            }
            for (long at : flipPositions(layout, good.length)) {
                byte[] copy = good.clone();
                copy[(int) at] ^= 0x5a;
                cases.put("byte " + at + " flipped (" + where(layout, at) + ")", copy);
            }
            List<String> problems = new ArrayList<>();
            for (var c : cases.entrySet()) {
                Files.write(bad, c.getValue());
                try {
                    CheckpointHarness.assertRestartRefused(original, bad, PLAIN);
                } catch (AssertionError e) {
                    problems.add(c.getKey() + ": " + e.getMessage());
                }
            }
            assertEquals(List.of(), problems);

            var restored = original.restart(context, PLAIN);
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void launcherRefusesATruncatedFile() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path context = original.checkpoint();
            original.kill();
            original.go();
            byte[] good = Files.readAllBytes(context);
            Path bad = original.dir().resolve("bad.cryo");
            Files.write(bad, java.util.Arrays.copyOf(good, good.length - 4096));
            var result = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_restart").toString(), bad.toString()),
                    Duration.ofSeconds(60));
            assertNotEquals(0, result.status(), result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            assertFalse(result.out().contains("PASS"), result.describe());
            assertTrue(ProcessHandle.of(original.pid()).isEmpty(), "a process runs with the original PID");
        }
    }

    /** Header fields, each table entry, each section's first/middle/last byte, spread page data. */
    private static TreeSet<Long> flipPositions(ContextLayout layout, long size) {
        TreeSet<Long> at = new TreeSet<>();
        for (long h : new long[] {0, 7, 8, 12, 16, 20, 24, 32, 36, 40, 48, 56, 63}) {
            at.add(h);
        }
        for (var s : layout.sections) {
            long entry = layout.tableOffset + (long) s.index() * ContextLayout.ENTRY_SIZE;
            for (int f : new int[] {0, 4, 8, 16, 24}) {
                at.add(entry + f);
            }
            if (s.length() > 0) {
                at.add(s.offset());
                at.add(s.offset() + s.length() / 2);
                at.add(s.offset() + s.length() - 1);
            }
            if (s.type() == ContextLayout.SEC_PAGES) {
                for (int i = 1; i < 8; i++) {
                    at.add(s.offset() + s.length() * i / 8 + 17);
                }
            }
        }
        at.removeIf(p -> p < 0 || p >= size);
        return at;
    }

    private static String where(ContextLayout layout, long at) {
        if (at < ContextLayout.HEADER_SIZE) {
            return "header";
        }
        if (at >= layout.tableOffset && at < layout.tableEnd()) {
            return "section table";
        }
        for (var s : layout.sections) {
            if (at >= s.offset() && at < s.offset() + s.length()) {
                return "section type " + s.type();
            }
        }
        return "padding";
    }

    /**
     * A FIFO where a context file should be (planted in a user's catalog that root reads) is
     * refused at once by every engine verb that reads one, without blocking on the open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFifoInsteadOfAContextFileIsRefusedWithoutBlocking() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("fifo-context");
        try {
            Path fifo = dir.resolve("context.cryo");
            var made = CheckpointHarness.run(List.of("mkfifo", fifo.toString()), Duration.ofSeconds(10));
            assertEquals(0, made.status(), made.describe());
            String engine = CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString();
            for (List<String> verb : List.of(List.of("info"), List.of("verify"), List.of("restore"))) {
                List<String> command = new ArrayList<>(List.of(engine));
                command.addAll(verb);
                command.add(fifo.toString());
                var result = CheckpointHarness.run(command, Duration.ofSeconds(20));
                assertNotEquals(0, result.status(), verb + ": " + result.describe());
                CheckpointHarness.assertOneLineError(result.err());
                assertTrue(result.err().get(0).contains("not a regular file"), verb + ": " + result.describe());
            }
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
