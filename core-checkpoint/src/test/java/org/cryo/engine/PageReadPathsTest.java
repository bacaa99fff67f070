package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Page data reaches the restored process both ways the engine reads it (pagestream.c): mapped
 * from the page cache, as a restart right after its checkpoint reads it, and read into buffers,
 * as a cold file is read; either way the memory is whole, and a flipped byte of page data is
 * refused before the process runs.  Plain files (program mem_big, 24 MiB of random data:
 * several chunks in flight at once) and compressed ones (mem_compressible, 24 MiB of blocks of
 * every encoding: zstd, shuffled zstd, raw), whose consumers check and decompress each block
 * where it is mapped.  CRYO_PAGE_READS chooses the path; CRYO_TIMING says which one the engine
 * took.  The pages go into the process both ways the engine writes them too: by UFFDIO_COPY
 * into the mappings the restore made (uffdfill.h), and by process_vm_writev where no userfaultfd
 * can be had (CRYO_NO_UFFD_FILL); mem_big checks that no userfaultfd is left in the process.
 */
class PageReadPathsTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();

    /** The program, its size argument and the checkpoint's options, for plain or compressed page data. */
    private record Encoding(String program, String size, CheckpointOptions.Builder options, String flipped) {
        static Encoding of(boolean compressed) {
            return compressed
                    ? new Encoding("mem_compressible", "8", CheckpointOptions.builder().compress(), "fails its checksum")
                    : new Encoding("mem_big", "24", CheckpointOptions.builder(), "page data checksum mismatch");
        }
    }

    @ParameterizedTest(name = "compressed: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void bothReadPathsRestoreTheMemoryAndRefuseAFlippedByte(boolean compressed) throws Exception {
        Encoding encoding = Encoding.of(compressed);
        try (var original = CheckpointHarness.Original.start(encoding.program(), encoding.size())) {
            Path context = original.checkpoint(encoding.options());
            original.kill();
            original.go();   // a process that wrongly starts checks its memory and prints at once
            Path bad = original.dir().resolve("bad.cryo");
            Files.write(bad, withPageDataByteFlipped(Files.readAllBytes(context)));
            for (String mode : List.of("mapped", "read")) {
                var refused = restore(bad, mode);
                assertNotEquals(0, refused.status(), mode + ": " + refused.describe());
                assertTrue(refused.err().stream().anyMatch(l -> l.contains(encoding.flipped())),
                        mode + ": " + refused.describe());
                assertEquals(List.of(), refused.out(), mode + ": a process ran: " + refused.describe());

                var restored = restore(context, mode);
                assertEquals(0, restored.status(), mode + ": " + restored.describe());
                assertTrue(restored.out().contains("PASS"), mode + ": " + restored.describe());
                String path = mode.equals("mapped") ? "(pages mapped from the page cache:" : "(pages read:";
                assertTrue(restored.err().stream().anyMatch(l -> l.contains(path)),
                        mode + ": not the path asked for: " + restored.describe());
                // the executable guards reads of the mapping: the hash takes them in place
                String hash = mode.equals("mapped") ? "hashed from the mapping, guarded)" : "hashed from the buffers)";
                assertTrue(restored.err().stream().anyMatch(l -> l.contains(hash)),
                        mode + ": not the hash path expected: " + restored.describe());
                assertTrue(mappingsByUffdCopy(restored) > 0, mode + ": not written by UFFDIO_COPY: " + restored.describe());
            }
            var written = restore(context, "mapped", "CRYO_NO_UFFD_FILL=1");
            assertEquals(0, written.status(), written.describe());
            assertTrue(written.out().contains("PASS"), written.describe());
            assertEquals(0, mappingsByUffdCopy(written), "not written by process_vm_writev: " + written.describe());
        }
    }

    /**
     * Left to choose, the engine maps a file the page cache holds (a restart right after its
     * checkpoint) and reads one it does not: the file's pages dropped from the cache (dd
     * iflag=nocache), the same restart reads it, and drops each piece from the cache once read, so
     * that it leaves the file as cold as it found it and the next restart reads it too.  The page
     * cache's count comes from cachestat(2).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theEngineMapsACachedFileAndReadsAColdOne() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "24")) {
            Path context = original.checkpoint();
            original.kill();
            original.go();
            Files.readAllBytes(context);     // all of it in the page cache
            var warm = restore(context, "auto");
            assertEquals(0, warm.status(), warm.describe());
            assertTrue(warm.out().contains("PASS"), warm.describe());
            assertTrue(warm.err().stream().anyMatch(l -> l.contains("(pages mapped from the page cache:")),
                    "a cached file is not mapped: " + warm.describe());
            CheckpointHarness.dropFromPageCache(context);
            var cold = restore(context, "auto");
            assertEquals(0, cold.status(), cold.describe());
            assertTrue(cold.out().contains("PASS"), cold.describe());
            assertTrue(cold.err().stream().anyMatch(l -> l.contains("(pages read:")),
                    "a file out of the page cache is not read: " + cold.describe());
            // what it read it dropped behind it: the image is not left in memory the job needs
            var again = restore(context, "auto");
            assertEquals(0, again.status(), again.describe());
            assertTrue(again.out().contains("PASS"), again.describe());
            assertTrue(again.err().stream().anyMatch(l -> l.contains("(pages read:")),
                    "the cold restart left the file in the page cache: " + again.describe());
        }
    }

    /** How many mappings the restore wrote by UFFDIO_COPY, from its CRYO_TIMING line. */
    private static int mappingsByUffdCopy(CheckpointHarness.CommandResult result) {
        var m = result.err().stream()
                .map(java.util.regex.Pattern.compile("two writers, (\\d+) mapping\\(s\\) by UFFDIO_COPY")::matcher)
                .filter(java.util.regex.Matcher::find).findFirst();
        assertTrue(m.isPresent(), "no line on how the pages were written: " + result.describe());
        return Integer.parseInt(m.get().group(1));
    }

    /**
     * The file cut back to its page data's start while a restart has it mapped (as its owner could
     * do; CRYO_FAULT_SHRINK_PAGES cuts it once the second chunk is hashed, or, compressed, just
     * before the third block is checked): one line saying so, no process left, and no SIGBUS
     * killing the engine, whether its hash reads the mapping in place under the executable's
     * SIGBUS guard or through pread() (CRYO_MAPPED_HASH=pread: the library's path inside a JVM,
     * where it installs no handler).  Without the guard a compressed file is never mapped: its
     * consumers would read the mapping themselves.
     */
    @ParameterizedTest(name = "compressed: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFileThatShrinksWhileMappedFailsTheRestartWithOneLine(boolean compressed) throws Exception {
        Encoding encoding = Encoding.of(compressed);
        try (var original = CheckpointHarness.Original.start(encoding.program(), encoding.size())) {
            Path context = original.checkpoint(encoding.options());
            original.kill();
            original.go();
            if (compressed) {
                var unguarded = restore(context, "mapped", "CRYO_MAPPED_HASH=pread");
                assertEquals(0, unguarded.status(), unguarded.describe());
                assertTrue(unguarded.out().contains("PASS"), unguarded.describe());
                assertTrue(unguarded.err().stream().anyMatch(l -> l.contains("(pages read:")),
                        "unguarded, a compressed file is read, not mapped: " + unguarded.describe());
            }
            // guarded, the pages go by UFFDIO_COPY and, without a userfaultfd, by process_vm_writev
            List<List<String>> ways = compressed
                    ? List.of(List.of("CRYO_MAPPED_HASH=guarded"), List.of("CRYO_MAPPED_HASH=guarded", "CRYO_NO_UFFD_FILL=1"))
                    : List.of(List.of("CRYO_MAPPED_HASH=guarded"), List.of("CRYO_MAPPED_HASH=guarded", "CRYO_NO_UFFD_FILL=1"),
                            List.of("CRYO_MAPPED_HASH=pread"));
            for (List<String> way : ways) {
                String hash = String.join(" ", way);
                Path shrinking = original.dir().resolve("shrinking-" + ways.indexOf(way) + ".cryo");
                Files.copy(context, shrinking);
                List<String> env = new ArrayList<>(List.of("CRYO_FAULT_SHRINK_PAGES=2"));
                env.addAll(way);
                var result = restore(shrinking, "mapped", env.toArray(String[]::new));
                assertNotEquals(0, result.status(), hash + ": " + result.describe());
                var errors = result.err().stream().filter(l -> !l.startsWith("cryo: ")).toList();   // not CRYO_TIMING's
                CheckpointHarness.assertOneLineError(errors);
                assertTrue(errors.get(0).contains("shrank"), hash + ": " + result.describe());
                assertEquals(List.of(), result.out(), hash + ": a process ran: " + result.describe());
                assertTrue(ProcessHandle.of(original.pid()).isEmpty(), hash + ": a process runs with the original PID");
            }
        }
    }

    /** A byte three quarters into the PAGES section: a chunk that is not the first. */
    private static byte[] withPageDataByteFlipped(byte[] good) {
        var pages = new ContextLayout(good).sections.stream()
                .filter(s -> s.type() == ContextLayout.SEC_PAGES).findFirst().orElseThrow();
        assertTrue(pages.length() > 8L << 20, "page data smaller than two chunks: " + pages.length());
        byte[] copy = good.clone();
        copy[(int) (pages.offset() + pages.length() / 4 * 3 + 17)] ^= 0x5a;
        return copy;
    }

    /** The helper the API restarts through, run to its end with the read path chosen. */
    private static CheckpointHarness.CommandResult restore(Path file, String mode, String... env) throws Exception {
        List<String> command = new ArrayList<>(Checkpointer.create().restoreCommand(file, PLAIN));
        List<String> withEnv = new ArrayList<>(List.of("env", "CRYO_PAGE_READS=" + mode, "CRYO_TIMING=1"));
        withEnv.addAll(List.of(env));
        withEnv.addAll(command);
        return CheckpointHarness.run(withEnv, java.time.Duration.ofSeconds(60));
    }
}
