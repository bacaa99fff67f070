package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a job's context files live, how many are kept, and what a clean hook leaves. */
class JobCatalogTest {
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path work;
    private JobDirectory dir;

    @BeforeEach
    void aJobWithFourContexts() throws Exception {
        dir = JobCatalog.at(work.resolve(".cryo"), Map.of(JobCatalog.KEEP_VARIABLE, "3")).job("17", ME);
        dir.create();
        for (int i = 0; i < 4; i++) {
            Path file = dir.nextContext();
            Files.writeString(file, "context " + i);
            dir.commit(file);
        }
        dir.recordProcess(new JobProcess(4242, "node1", "2", false));
        dir.markVacating();
        dir.recordError(3, "an old failure");
    }

    @Test
    void theRootIsTheConfiguredDirectoryElseDotCryoInTheWorkingDirectory() {
        assertEquals(Path.of("/scratch/ckpt"), JobCatalog.defaultRoot(Map.of("CRYO_CHECKPOINT_DIR", "/scratch/ckpt"), Path.of("/home/a")));
        assertEquals(Path.of("/home/a/.cryo"), JobCatalog.defaultRoot(Map.of(), Path.of("/home/a")));
        assertEquals(Path.of("/home/a/.cryo"), JobCatalog.defaultRoot(Map.of("CRYO_CHECKPOINT_DIR", " "), Path.of("/home/a/b/..")));
        assertEquals(Path.of("/home/a/.cryo/9"), JobCatalog.at(Path.of("/home/a/.cryo"), Map.of()).job("9", ME).path());
    }

    @Test
    void threeContextsAreKeptUnlessConfiguredAndAtLeastOne() {
        assertEquals(3, JobCatalog.at(work, Map.of()).keep());
        assertEquals(5, JobCatalog.at(work, Map.of(JobCatalog.KEEP_VARIABLE, "5")).keep());
        assertEquals(1, JobCatalog.at(work, Map.of(JobCatalog.KEEP_VARIABLE, "0")).keep());
        assertThrows(IllegalArgumentException.class, () -> JobCatalog.at(work, Map.of(JobCatalog.KEEP_VARIABLE, "many")));
    }

    @Test
    void aJobIdThatIsNotANameIsRefused() {
        JobCatalog catalog = JobCatalog.at(work, Map.of());
        for (String id : new String[] {"..", ".", "a/b", "", "12\n", "x\u001b"}) {
            assertThrows(IllegalArgumentException.class, () -> catalog.job(id, ME), id);
        }
        assertEquals("12.3", catalog.job("12.3", ME).jobId());
        assertEquals("12[4]", catalog.job("12[4]", ME).jobId());
    }

    @Test
    void commitsKeepTheLastNAndLatestIsTheNewest() throws Exception {
        assertEquals(List.of("context.000002", "context.000003", "context.000004"), names(dir.contexts()));
        assertEquals(dir.path().resolve("context.000004"), dir.latest().orElseThrow());
        assertEquals("context.000004", Files.readSymbolicLink(dir.path().resolve("latest")).toString());
    }

    @Test
    void aCleanDropsTheRunsRecordsAndKeepsTheLastContexts() throws Exception {
        dir.recordLeaving(JobMove.Reason.MIGRATED);
        dir.recordMove(new JobMove(java.time.Instant.now(), "n1", "n2", JobMove.Reason.HEALTH, "context.000002"));
        assertEquals(4, dir.clean(2), "context.000002 and the process, vacating and error records");
        assertEquals(1, dir.moves().size(), "the job's history stays");
        assertEquals(java.util.Optional.of(JobMove.Reason.MIGRATED), dir.takeLeaving(), "for the rerun's record");
        assertEquals(List.of("context.000003", "context.000004"), names(dir.contexts()));
        assertTrue(dir.process().isEmpty());
        assertFalse(dir.isVacating());
        assertTrue(dir.lastError().isEmpty());
        assertEquals(dir.path().resolve("context.000004"), dir.latest().orElseThrow());
    }

    @Test
    void aCleanKeepingNoneRemovesTheJobsDirectory() throws Exception {
        dir.clean(0);
        assertFalse(Files.exists(dir.path()));
        assertTrue(Files.isDirectory(work.resolve(".cryo")), "the catalog root stays");
        assertEquals(0, dir.clean(0), "a second clean finds nothing");
    }

    @Test
    void aCleanLeavesWhatCryoDidNotWriteAndItsDirectory() throws Exception {
        Path mine = Files.writeString(dir.path().resolve("notes.txt"), "the user's own");
        dir.clean(0);
        assertTrue(dir.contexts().isEmpty());
        assertEquals(List.of(mine), Files.list(dir.path()).toList());
    }

    @Test
    void aCleanRemovesAPlantedLinkWithoutFollowingIt() throws Exception {
        Path victim = Files.writeString(work.resolve("victim"), "keep me");
        Files.delete(dir.path().resolve("process"));
        Files.createSymbolicLink(dir.path().resolve("process"), victim);
        dir.clean(1);
        assertFalse(Files.exists(dir.path().resolve("process"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals("keep me", Files.readString(victim));
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(f -> f.getFileName().toString()).toList();
    }
}
