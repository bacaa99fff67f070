package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Page data reaches the restored process both ways the engine reads it (pagestream.c): mapped
 * from the page cache, as a restart right after its checkpoint reads it, and read into buffers,
 * as a cold file is read; either way the memory is whole, and a flipped byte of page data is
 * refused before the process runs (program mem_big, 24 MiB: several chunks in flight at once).
 * CRYO_PAGE_READS chooses the path; CRYO_TIMING says which one the engine took.
 */
class PageReadPathsTest {
    private static final RestartOptions PLAIN = RestartOptions.builder().inheritIo(false).build();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void bothReadPathsRestoreTheMemoryAndRefuseAFlippedByte() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "24")) {
            Path context = original.checkpoint();
            original.kill();
            original.go();   // a process that wrongly starts checks its memory and prints at once
            Path bad = original.dir().resolve("bad.cryo");
            Files.write(bad, withPageDataByteFlipped(Files.readAllBytes(context)));
            for (String mode : List.of("mapped", "read")) {
                var refused = restore(bad, mode);
                assertNotEquals(0, refused.status(), mode + ": " + refused.describe());
                assertTrue(refused.err().stream().anyMatch(l -> l.contains("page data checksum mismatch")),
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
            }
        }
    }

    /**
     * The file cut back to its page data's start while a restart has it mapped (as its owner could
     * do; CRYO_FAULT_SHRINK_PAGES cuts it once the second chunk is hashed): one line saying so,
     * no process left, and no SIGBUS killing the engine, whether its hash reads the mapping in
     * place under the executable's SIGBUS guard or through pread() (CRYO_MAPPED_HASH=pread: the
     * library's path inside a JVM, where it installs no handler).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFileThatShrinksWhileMappedFailsTheRestartWithOneLine() throws Exception {
        try (var original = CheckpointHarness.Original.start("mem_big", "24")) {
            Path context = original.checkpoint();
            original.kill();
            original.go();
            for (String hash : List.of("guarded", "pread")) {
                Path shrinking = original.dir().resolve("shrinking-" + hash + ".cryo");
                Files.copy(context, shrinking);
                var result = restore(shrinking, "mapped", "CRYO_FAULT_SHRINK_PAGES=2", "CRYO_MAPPED_HASH=" + hash);
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
