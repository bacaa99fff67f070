package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A section table whose checksums are right but whose layout is not (entries that share bytes,
 * entries out of order) is refused by the verifier at once: verification reads each byte of the
 * file at most once.  Before this check, a table of 4096 entries aliasing one payload made
 * verification hash the payload 4096 times (64 GiB for a 16 MiB payload).  The files are sealed again by the test tool cryo-reseal after each edit.
 */
class SectionLayoutTest {
    /** The most entries a table may have (IMAGE_MAX_SECTIONS in native/src/image.h). */
    private static final int MAX_SECTIONS = 4096;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void overlappingAndOutOfOrderSectionsAreRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("soak_job", "1", "1000", "48")) {
            Path context = original.checkpoint();
            original.kill();
            byte[] good = Files.readAllBytes(context);
            ContextLayout layout = new ContextLayout(good);
            assertEquals(List.of(), verify(context), "the intact file must verify");

            Path bad = original.dir().resolve("bad.cryo");
            write(bad, withAliases(good, layout));
            assertRefused(bad, "overlaps");

            write(bad, withEntriesSwapped(good, layout, 0, 1));
            assertRefused(bad, "out of order");

            write(bad, withEntryShifted(good, layout, layout.sectionCount - 1, -8));
            assertRefused(bad, "overlaps");

            original.go();
            CheckpointHarness.assertRestartRefused(original, bad, RestartOptions.builder().inheritIo(false).build());
        }
    }

    /** The table moved to the end of the file, filled up to MAX_SECTIONS with the largest payload's entry. */
    private static byte[] withAliases(byte[] good, ContextLayout layout) {
        ContextLayout.Section largest = layout.sections.stream()
                .max(Comparator.comparingLong(ContextLayout.Section::length)).orElseThrow();
        assertTrue(largest.length() >= (1 << 20), "expected page data of a MiB or more, got " + largest);
        int count = MAX_SECTIONS;
        long tableOffset = align8(good.length);
        byte[] file = Arrays.copyOf(good, (int) (tableOffset + (long) count * ContextLayout.ENTRY_SIZE));
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        System.arraycopy(good, (int) layout.tableOffset, file, (int) tableOffset,
                layout.sectionCount * ContextLayout.ENTRY_SIZE);
        int largestEntry = (int) (layout.tableOffset + (long) largest.index() * ContextLayout.ENTRY_SIZE);
        for (int i = layout.sectionCount; i < count; i++) {
            System.arraycopy(good, largestEntry, file, (int) (tableOffset + (long) i * ContextLayout.ENTRY_SIZE),
                    ContextLayout.ENTRY_SIZE);
        }
        b.putLong(24, tableOffset);
        b.putInt(32, count);
        b.putLong(40, file.length);
        return file;
    }

    private static byte[] withEntriesSwapped(byte[] good, ContextLayout layout, int i, int j) {
        byte[] file = good.clone();
        int a = entry(layout, i), c = entry(layout, j);
        byte[] first = Arrays.copyOfRange(good, a, a + ContextLayout.ENTRY_SIZE);
        System.arraycopy(good, c, file, a, ContextLayout.ENTRY_SIZE);
        System.arraycopy(first, 0, file, c, ContextLayout.ENTRY_SIZE);
        return file;
    }

    /** Entry i starts {@code by} bytes away from where it is, its end unchanged. */
    private static byte[] withEntryShifted(byte[] good, ContextLayout layout, int i, long by) {
        byte[] file = good.clone();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        ContextLayout.Section s = layout.sections.get(i);
        b.putLong(entry(layout, i) + 8, s.offset() + by);
        b.putLong(entry(layout, i) + 16, s.length() - by);
        return file;
    }

    private static int entry(ContextLayout layout, int i) {
        return (int) (layout.tableOffset + (long) i * ContextLayout.ENTRY_SIZE);
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    private static void write(Path file, byte[] bytes) throws Exception {
        Files.write(file, bytes);
        var sealed = CheckpointHarness.run(List.of(CheckpointHarness.cryoHome()
                .resolve("native/target/test-tools/cryo-reseal").toString(), file.toString()), Duration.ofSeconds(30));
        assertEquals(0, sealed.status(), sealed.describe());
    }

    private static void assertRefused(Path file, String why) throws Exception {
        List<String> errors = verify(file);
        assertEquals(1, errors.size(), "verify must refuse with one line: " + errors);
        assertTrue(errors.get(0).contains(why), "expected '" + why + "' in: " + errors.get(0));
    }

    /** The stderr lines of cryo-engine verify FILE; empty when it succeeded. */
    private static List<String> verify(Path file) throws Exception {
        var result = CheckpointHarness.run(List.of(CheckpointHarness.cryoHome()
                .resolve("native/target/bin/cryo-engine").toString(), "verify", file.toString()), Duration.ofSeconds(60));
        if (result.status() == 0) {
            return List.of();
        }
        assertNotEquals(0, result.err().size(), result.describe());
        return result.err();
    }
}
