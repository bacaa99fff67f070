package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.cryo.format.ContextFileReader;
import org.cryo.format.ContextFormatException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mutated copies of a valid context file (byte flips inside checksummed data, truncations,
 * random length and offset fields, random section-table entries) fed to the native verifier
 * and the Java reader: each must be rejected with EngineException / ContextFormatException,
 * nothing else, and the JVM must survive.
 */
class ContextFileFuzzTest {
    private static final long SEED = 0xC0FFEE;
    private static final int MAX_CASES = 3000;
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(15);

    private static Path dir;
    private static byte[] good;

    @BeforeAll
    static void validContext() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path context = original.checkpoint();
            good = Files.readAllBytes(context);
            dir = CheckpointHarness.newWorkDir("fuzz");
        }
        NativeEngine.ensureLoaded(CheckpointHarness.cryoHome());
    }

    @AfterAll
    static void clean() {
        CheckpointHarness.deleteTree(dir);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theValidFileIsAccepted() throws Exception {
        Path file = dir.resolve("good.cryo");
        Files.write(file, good);
        NativeEngine.verify(file.toString());
        ContextFileReader.read(file);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void mutatedFilesAreRejected() throws Exception {
        ContextLayout layout = new ContextLayout(good);
        Random random = new Random(SEED);
        Path file = dir.resolve("mutant.cryo");
        List<String> problems = new ArrayList<>();
        long start = System.nanoTime();
        int cases = 0;
        for (; cases < MAX_CASES && (cases < 300 || System.nanoTime() - start < BUDGET_NANOS); cases++) {
            int kind = cases % 6;
            byte[] mutant = mutate(good, layout, kind, random);
            if (Arrays.equals(mutant, good)) {
                continue;
            }
            Files.write(file, mutant);
            String nativeOutcome = outcomeOfNative(file);
            String javaOutcome = outcomeOfReader(file);
            // The native verifier checks every checksum and must reject every mutant; the Java
            // reader (which leaves checksums to it) may parse a mutant whose damage is only in
            // the payload, but must never fail with anything but ContextFormatException.
            boolean readerOk = javaOutcome.equals("rejected") || javaOutcome.equals("accepted");
            if (!nativeOutcome.equals("rejected") || !readerOk) {
                problems.add("case " + cases + " (" + KINDS[kind] + "): native " + nativeOutcome + ", reader " + javaOutcome);
                if (problems.size() > 20) {
                    break;
                }
            }
        }
        System.out.println("context file fuzz: " + cases + " mutants of a " + good.length + "-byte file");
        assertTrue(cases >= 300, "only " + cases + " cases ran");
        assertEquals(List.of(), problems);
    }

    private static final String[] KINDS = {"byte flip", "truncation", "length field", "table entry",
        "several flips", "offset field"};

    private static byte[] mutate(byte[] good, ContextLayout layout, int kind, Random random) {
        byte[] m = good.clone();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        int entry = (int) (layout.tableOffset + (long) random.nextInt(layout.sectionCount) * ContextLayout.ENTRY_SIZE);
        switch (kind) {
            case 0 -> flip(m, layout, random);
            case 1 -> m = Arrays.copyOf(good, random.nextInt(good.length));
            case 2 -> b.putLong(entry + 16, randomLength(random, good.length));
            case 3 -> {
                byte[] junk = new byte[ContextLayout.ENTRY_SIZE];
                random.nextBytes(junk);
                System.arraycopy(junk, 0, m, entry, junk.length);
            }
            case 4 -> {
                for (int i = 1 + random.nextInt(8); i > 0; i--) {
                    flip(m, layout, random);
                }
            }
            default -> b.putLong(entry + 8, randomLength(random, good.length));
        }
        return m;
    }

    private static long randomLength(Random random, long fileSize) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextLong();
            case 1 -> random.nextInt((int) fileSize * 2);
            case 2 -> Long.MAX_VALUE - random.nextInt(4096);
            default -> -1L - random.nextInt(16);
        };
    }

    /** Flips bits of one byte covered by a checksum (padding may legitimately be ignored). */
    private static void flip(byte[] m, ContextLayout layout, Random random) {
        long at = layout.checkedByte((long) (random.nextDouble() * layout.checkedBytes()));
        m[(int) at] ^= (byte) (1 + random.nextInt(255));
    }

    private static String outcomeOfNative(Path file) {
        try {
            NativeEngine.verify(file.toString());
            return "accepted";
        } catch (EngineException e) {
            return e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")
                    ? "rejected without a one-line message" : "rejected";
        } catch (Throwable t) {
            return "threw " + t;
        }
    }

    private static String outcomeOfReader(Path file) {
        try {
            ContextFileReader.read(file);
            return "accepted";
        } catch (ContextFormatException e) {
            return "rejected";
        } catch (Throwable t) {
            return "threw " + t;
        }
    }
}
