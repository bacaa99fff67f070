package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.cryo.format.ContextInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mutated copies of a valid context file (byte flips inside checksummed data, truncations,
 * random length and offset fields, random section-table entries) fed to the engine's reader
 * through {@code describe} (what {@code cryo info} calls; it verifies as a restore does): each
 * must be rejected with an EngineException and a one-line message, nothing else, and the JVM
 * must survive.
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
        ContextInfo info = ContextInfo.fromJson(NativeEngine.describe(file.toString()));
        assertEquals(1, info.processes().size(), "baseline is one process");
        assertTrue(info.first().savedBytes() > 0, "no page data described");
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
            // every checksum is checked before a record is read: every mutant is rejected
            String outcome = outcomeOfDescribe(file);
            if (!outcome.equals("rejected")) {
                problems.add("case " + cases + " (" + KINDS[kind] + "): " + outcome);
                if (problems.size() > 20) {
                    break;
                }
            }
        }
        System.out.println("context file fuzz: " + cases + " mutants of a " + good.length + "-byte file");
        assertTrue(cases >= 300, "only " + cases + " cases ran");
        assertEquals(List.of(), problems);
    }

    /**
     * Mutants whose checksums are sealed again (cryo-reseal --sections): the damage reaches the
     * record parser and the JSON writer.  Each is rejected with a one-line message, or described
     * as JSON that parses and is printable ASCII (every string from the file escaped).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void resealedMutantsAreRejectedOrDescribedAsCleanJson() throws Exception {
        ContextLayout layout = new ContextLayout(good);
        List<ContextLayout.Section> records = layout.sections.stream()
                .filter(s -> s.type() != ContextLayout.SEC_PAGES && s.length() >= 8).toList();
        Random random = new Random(SEED + 1);
        Path file = dir.resolve("resealed.cryo");
        String reseal = CheckpointHarness.cryoHome().resolve("native/target/test-tools/cryo-reseal").toString();
        ObjectMapper json = new ObjectMapper();
        List<String> problems = new ArrayList<>();
        int cases = 0;
        int described = 0;
        long start = System.nanoTime();
        for (; cases < MAX_CASES && (cases < 200 || System.nanoTime() - start < BUDGET_NANOS); cases++) {
            byte[] mutant = good.clone();
            ContextLayout.Section section = records.get(random.nextInt(records.size()));
            damageRecords(mutant, section, random);
            Files.write(file, mutant);
            var sealed = CheckpointHarness.run(List.of(reseal, "--sections", file.toString()), Duration.ofSeconds(30));
            assertEquals(0, sealed.status(), sealed.describe());
            String outcome;
            try {
                String text = NativeEngine.describe(file.toString());
                json.readTree(text);
                outcome = text.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f)) ? "described"
                        : "described with a character that is not printable ASCII";
                described++;
            } catch (EngineException e) {
                outcome = e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")
                        ? "rejected without a one-line message" : "rejected";
            } catch (Throwable t) {
                outcome = "threw " + t;
            }
            if (!outcome.equals("described") && !outcome.equals("rejected")) {
                problems.add("case " + cases + " (section type " + section.type() + "): " + outcome);
                if (problems.size() > 20) {
                    break;
                }
            }
        }
        System.out.println("resealed fuzz: " + cases + " mutants, " + described + " described, the rest rejected");
        assertTrue(cases >= 200, "only " + cases + " cases ran");
        assertEquals(List.of(), problems);
    }

    /** Flipped bytes, or a 32-bit field (a record size, a length, a count) set to an edge value. */
    private static void damageRecords(byte[] m, ContextLayout.Section section, Random random) {
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            int at = (int) (section.offset() + random.nextInt((int) section.length() - 4));
            if (random.nextBoolean()) {
                m[at] ^= (byte) (1 + random.nextInt(255));
            } else {
                int[] edges = {0, 1, 7, 8, 0x7fffffff, -1, -8, 4096, random.nextInt()};
                b.putInt(at & ~3, edges[random.nextInt(edges.length)]);
            }
        }
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

    private static String outcomeOfDescribe(Path file) {
        try {
            String json = NativeEngine.describe(file.toString());
            return "accepted (" + json.length() + " characters of JSON)";
        } catch (EngineException e) {
            return e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")
                    ? "rejected without a one-line message" : "rejected";
        } catch (Throwable t) {
            return "threw " + t;
        }
    }
}
