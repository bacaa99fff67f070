package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed context files ({@code --compress}, issue 15): the per-feature programs come back
 * from them; a program with memory of every kind gets blocks of every encoding (zstd, zstd of
 * the byte-shuffled data, raw) and a smaller file; a block damaged on disk, even with every
 * section checksum sealed again over the damage, is refused with a one-line error before any
 * process runs, and by {@code cryo-engine verify}.
 */
class CompressedContextTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();
    private static final int SEC_PAGE_BLOCKS = 21;
    private static final int PAGES_BLOCKS = 1;
    private static final int BLOCK_SIZE = 40;
    private static final int RAW = 0;
    private static final int ZSTD = 1;
    private static final int ZSTD_SHUFFLE8 = 2;

    /** One entry of a PAGE_BLOCKS index, read from the file's bytes. */
    record Block(long rawOffset, long storedOffset, int rawLen, int storedLen, int encoding, long fileOffset,
            long entryAt) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"mem_heap_stack", "mem_file_private", "mem_file_shared", "mem_advice", "threads",
        "signals", "files", "posix_timers", "cpu_state", "mem_compressible"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void perFeatureProgramComesBackFromACompressedFile(String program) throws Exception {
        CheckpointHarness.checkpointRestartAndPass(CheckpointOptions.builder().compress(), program);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyEncodingIsUsedAndTheFileIsSmaller() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_compressible")) {
            long plainSize = Files.size(original.checkpoint());
            byte[] file = Files.readAllBytes(original.checkpoint(CheckpointOptions.builder().compress(3)));
            Set<Integer> encodings = new TreeSet<>();
            blocks(file).forEach(b -> encodings.add(b.encoding()));
            assertEquals(Set.of(RAW, ZSTD, ZSTD_SHUFFLE8), encodings);
            // a third of it is random, stored raw: the rest must shrink well below half
            assertTrue(file.length < plainSize * 3 / 4,
                    "compressed " + file.length + " bytes, uncompressed " + plainSize);
            original.kill();
            var restored = original.restart(original.dir().resolve("context.cryo"), PLAIN);
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aDamagedBlockIsRefusedBeforeAnyProcessRuns() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_compressible")) {
            // level -1: the default -50 stores the program's text-like records shuffled, and every encoding must be there
            Path context = original.checkpoint(CheckpointOptions.builder().compress(-1));
            original.kill();
            original.go();   // a process that wrongly starts prints at once
            byte[] good = Files.readAllBytes(context);
            Path bad = original.dir().resolve("bad.cryo");
            List<String> problems = new ArrayList<>();
            for (int encoding : new int[] {RAW, ZSTD, ZSTD_SHUFFLE8}) {
                Block b = blocks(good).stream().filter(x -> x.encoding() == encoding).findFirst().orElseThrow();
                byte[] copy = good.clone();
                copy[(int) (b.fileOffset() + b.storedLen() / 2)] ^= 0x5a;
                problems.addAll(refused(original, bad, copy, "encoding " + encoding, "fails its checksum"));
            }
            Block padded = blocks(good).stream().filter(x -> x.encoding() != RAW && x.storedLen() % 4096 != 0)
                    .findFirst().orElseThrow();
            byte[] pad = good.clone();
            pad[(int) (padded.fileOffset() + padded.storedLen())] ^= 0x5a;
            problems.addAll(refused(original, bad, pad, "padding after a block", "padding that is not zeros"));
            Block first = blocks(good).get(0);
            byte[] copy = good.clone();
            ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt((int) first.entryAt() + 20, first.storedLen() + 8192);
            problems.addAll(refused(original, bad, copy, "index lies about a block's size", "compressed page"));
            assertEquals(List.of(), problems);

            var restored = original.restart(context, PLAIN);
            restored.assertPassed();
        }
    }

    /** The damaged file, sealed again, refused with a message that says expected; what went wrong else. */
    private static List<String> refused(CheckpointHarness.Original original, Path bad, byte[] content, String what,
            String expected) throws Exception {
        Files.write(bad, content);
        var seal = CheckpointHarness.run(List.of(CheckpointHarness.cryoHome()
                .resolve("native/target/test-tools/cryo-reseal").toString(), "--sections", bad.toString()),
                Duration.ofSeconds(30));
        if (seal.status() != 0) {
            return List.of(what + ": cryo-reseal failed: " + seal.describe());
        }
        List<String> problems = new ArrayList<>();
        var verify = CheckpointHarness.run(List.of(CheckpointHarness.cryoHome()
                .resolve("native/target/bin/cryo-engine").toString(), "verify", bad.toString()), Duration.ofSeconds(30));
        if (verify.status() == 0 || !String.join(" ", verify.err()).contains(expected)) {
            problems.add(what + ": cryo-engine verify: " + verify.describe());
        }
        try {
            String message = CheckpointHarness.assertRestartRefused(original, bad, PLAIN);
            if (!message.contains(expected)) {
                problems.add(what + ": refused with " + message);
            }
        } catch (AssertionError e) {
            problems.add(what + ": " + e.getMessage());
        }
        return problems;
    }

    /** Every block of every compressed PAGES section of the file. */
    private static List<Block> blocks(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        ContextLayout layout = new ContextLayout(file);
        List<Block> all = new ArrayList<>();
        for (ContextLayout.Section s : layout.sections) {
            long entry = layout.tableOffset + (long) s.index() * ContextLayout.ENTRY_SIZE;
            if (s.type() != ContextLayout.SEC_PAGES || (b.getInt((int) entry + 4) & PAGES_BLOCKS) == 0) {
                continue;
            }
            ContextLayout.Section index = layout.sections.get(s.index() + 1);
            assertEquals(SEC_PAGE_BLOCKS, index.type(), "a compressed PAGES section without its index");
            for (long at = index.offset(); at < index.offset() + index.length(); at += BLOCK_SIZE) {
                int p = (int) at;
                all.add(new Block(b.getLong(p), b.getLong(p + 8), b.getInt(p + 16), b.getInt(p + 20), b.getInt(p + 24),
                        s.offset() + b.getLong(p + 8), at));
            }
        }
        assertTrue(!all.isEmpty(), "no compressed page blocks in the file");
        return all;
    }
}
