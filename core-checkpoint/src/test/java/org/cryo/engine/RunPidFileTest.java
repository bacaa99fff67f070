package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 7: {@code cr_run --pid-ns --pid-file FILE} as root never follows what is planted at
 * FILE: the helper creates the file under a temporary name (O_EXCL|O_NOFOLLOW, 0600) in FILE's
 * checked directory and renames it into place, so a link there is replaced and its target left
 * alone; a directory others may write (not sticky) is refused before the job starts.
 */
class RunPidFileTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aLinkPlantedAtThePidFileIsReplacedNotFollowed() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("pid-file-link");
        Path victim = Files.writeString(dir.resolve("victim"), "root's file\n");
        Path link = Files.createSymbolicLink(dir.resolve("job.pid"), victim);
        // the helper itself, as cr_run runs it: nothing deletes the link first
        Path helper = CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine");
        var result = CheckpointHarness.run(List.of(helper.toString(), "run", "--pid-ns", "--pid-file", link.toString(),
                "--", "true"), TIMEOUT);
        assertEquals(0, result.status(), result.describe());
        assertEquals("root's file\n", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(link), "the link was replaced");
        assertTrue(Files.readString(link).matches("\\d+\n"), Files.readString(link));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(link)));
        assertEquals(List.of("job.pid", "victim"), CheckpointHarness.listNames(dir), "no temporary file left");
    }

    @Test
    void aPidFileInADirectoryOthersMayWriteIsRefusedBeforeTheJobStarts() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("pid-file-open-dir");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path ran = dir.resolve("ran");
        var result = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_run").toString(), "--pid-ns",
                "--pid-file", dir.resolve("job.pid").toString(), "touch", ran.toString()), TIMEOUT);
        assertEquals(125, result.status(), result.describe());
        CheckpointHarness.assertOneLineError(result.err());
        assertTrue(result.err().get(0).contains("refusing pid file " + dir.resolve("job.pid")
                + ": its directory is writable by others and not sticky"), result.describe());
        assertFalse(Files.exists(ran), "the job did not start");
        assertEquals(List.of(), CheckpointHarness.listNames(dir));
    }
}
