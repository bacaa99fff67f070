package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Files deleted while still in use (program deleted_files.c): held open (sparse, at an offset,
 * O_APPEND), mapped shared, mapped private.  They are saved by content, holes left out, and come
 * back as deleted files in their own directory.  Beyond CRYO_DELETED_FILE_MAX bytes of data the
 * checkpoint is refused in one line, and so is a process whose working directory was deleted;
 * either way the process runs on unharmed.
 */
class DeletedFilesTest {
    private static final Path ENGINE = CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine");

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void deletedFilesInUseComeBackDeletedWithTheirContentsAndHoles() throws Exception {
        // a 256 MiB hole: far beyond the default limit if holes counted, and filled it would fail the program
        CheckpointHarness.checkpointTreeKillRestartAndPass("deleted_files", "256");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDeletedFileWithMoreDataThanTheLimitIsRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("deleted_files")) {
            Path file = original.dir().resolve("context.cryo");
            var result = checkpoint(List.of(ENGINE.toString(), "checkpoint", "-f", file.toString(),
                    Long.toString(original.pid())), Map.of("CRYO_DELETED_FILE_MAX", "4K"));
            assertTrue(result.status() != 0, "a checkpoint over the limit succeeded: " + result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            String message = String.join("", result.err());
            assertTrue(message.contains("/held") && message.contains("CRYO_DELETED_FILE_MAX")
                    && message.contains("12288 bytes of data") && !message.contains("(deleted)"), message);
            assertFalse(Files.exists(file), "a refused checkpoint left its file");

            var raised = checkpoint(List.of(ENGINE.toString(), "checkpoint", "-f", file.toString(),
                    Long.toString(original.pid())), Map.of("CRYO_DELETED_FILE_MAX", "1M"));
            assertEquals(0, raised.status(), raised.describe());
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDeletedWorkingDirectoryIsRefused() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("deleted_cwd");
        Path cwd = Files.createDirectory(dir.resolve("cwd"));
        Process job = new ProcessBuilder(CheckpointHarness.program("baseline").toString(), dir.resolve("go").toString())
                .directory(cwd.toFile()).start();
        try {
            var out = new ProgramOutput(job.getInputStream(), "baseline");
            out.await(l -> l.startsWith("READY "), CheckpointHarness.READY_TIMEOUT);
            Files.delete(cwd);
            Path file = dir.resolve("context.cryo");
            var result = checkpoint(List.of(ENGINE.toString(), "checkpoint", "-f", file.toString(),
                    Long.toString(job.pid())), Map.of());
            assertTrue(result.status() != 0, "a process in a deleted directory was checkpointed: " + result.describe());
            CheckpointHarness.assertOneLineError(result.err());
            String message = String.join("", result.err());
            assertTrue(message.contains("working directory") && message.contains(cwd.toString())
                    && message.contains("deleted"), message);
            Files.createFile(dir.resolve("go"));
            out.await(l -> l.equals("PASS"), Duration.ofSeconds(30));
            assertTrue(job.waitFor(30, TimeUnit.SECONDS) && job.exitValue() == 0, "the job was harmed: " + out);
        } finally {
            job.destroyForcibly();
            job.waitFor();
            CheckpointHarness.deleteTree(dir);
        }
    }

    static CheckpointHarness.CommandResult checkpoint(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        ProgramOutput out = new ProgramOutput(process.getInputStream(), command.get(0));
        ProgramOutput err = new ProgramOutput(process.getErrorStream(), command.get(0) + " (stderr)");
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the engine did not end");
        out.awaitEnd(Duration.ofSeconds(5));
        err.awaitEnd(Duration.ofSeconds(5));
        return new CheckpointHarness.CommandResult(process.exitValue(), out.lines(), err.lines());
    }
}
