package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What {@code -f} may name (issue 7): a device, a FIFO or a symbolic link is refused before any
 * work with a one-line error and left as it was (as root, {@code -f /dev/full} used to replace
 * the device node with a regular file); a directory means {@code DIR/context.PID}.  The process
 * runs on untouched in every case.
 */
class CheckpointTargetTest {
    static final int S_IFIFO = 0010000;
    static final int S_IFCHR = 0020000;

    /** The file type bits of st_mode, the link itself for a symbolic link. */
    static int fileType(Path path) throws java.io.IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
    }

    private static CheckpointHarness.CommandResult engineCheckpoint(Path file, long pid) throws Exception {
        return engineCheckpoint(file.toString(), pid);
    }

    private static CheckpointHarness.CommandResult engineCheckpoint(String file, long pid) throws Exception {
        return CheckpointHarness.run(List.of(CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString(),
                "checkpoint", "-f", file, Long.toString(pid)), Duration.ofSeconds(60));
    }

    private static String assertRefused(Path file, long pid, String kind) throws Exception {
        var result = engineCheckpoint(file, pid);
        assertEquals(1, result.status(), result.describe());
        CheckpointHarness.assertOneLineError(result.err());
        String message = result.err().get(0);
        assertTrue(message.contains("is a " + kind + ", not a regular file: refused"), message);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpointer.create()
                .checkpoint(pid, CheckpointOptions.builder().file(file).build()));
        CheckpointHarness.assertOneLine(e.getMessage());
        assertTrue(e.getMessage().contains("is a " + kind), e.getMessage());
        return message;
    }

    @Test
    void aDeviceIsRefusedAndSurvives() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "as root: a device node can be replaced");
        Path full = Path.of("/dev/full");
        Object rdev = Files.getAttribute(full, "unix:rdev");
        try (var original = CheckpointHarness.Original.start("baseline")) {
            assertRefused(full, original.pid(), "character device");
            assertEquals(rdev, Files.getAttribute(full, "unix:rdev"), "/dev/full is not the same device any more");
            assertEquals(S_IFCHR, fileType(full), "/dev/full is not a device any more");
            // cr_checkpoint says the same, in one line, with its exit status for a failed checkpoint
            var cr = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(), "-f",
                    full.toString(), Long.toString(original.pid())), Duration.ofSeconds(60));
            assertEquals(2, cr.status(), cr.describe());
            CheckpointHarness.assertOneLineError(cr.err());
            assertTrue(cr.err().get(0).startsWith("cr_checkpoint: /dev/full is a character device"), cr.describe());
            assertTrue(fileType(full) == S_IFCHR && rdev.equals(Files.getAttribute(full, "unix:rdev")), "/dev/full changed");
            original.goAndAssertPassed();
        }
    }

    @Test
    void aFifoIsRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path fifo = original.dir().resolve("fifo");
            assertEquals(0, CheckpointHarness.run(List.of("mkfifo", fifo.toString()), Duration.ofSeconds(10)).status());
            List<String> before = CheckpointHarness.listNames(original.dir());
            assertRefused(fifo, original.pid(), "FIFO");
            assertEquals(S_IFIFO, fileType(fifo), "the FIFO was replaced");
            assertEquals(before, CheckpointHarness.listNames(original.dir()), "the directory changed");
            original.goAndAssertPassed();
        }
    }

    @Test
    void aSymbolicLinkIsRefusedAndItsTargetUntouched() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path target = original.dir().resolve("precious");
            Files.writeString(target, "keep me");
            Path link = Files.createSymbolicLink(original.dir().resolve("link.cryo"), target);
            Path dangling = Files.createSymbolicLink(original.dir().resolve("dangling.cryo"),
                    original.dir().resolve("created-through-the-link"));
            List<String> before = CheckpointHarness.listNames(original.dir());
            assertRefused(link, original.pid(), "symbolic link");
            assertRefused(dangling, original.pid(), "symbolic link");
            assertEquals("keep me", Files.readString(target));
            assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(dangling), "a link was replaced");
            assertEquals(before, CheckpointHarness.listNames(original.dir()), "the directory changed");
            original.goAndAssertPassed();
        }
    }

    @Test
    void aDirectoryMeansContextPidInIt() throws Exception {
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path dir = Files.createDirectory(original.dir().resolve("contexts"));
            List<String> around = CheckpointHarness.listNames(original.dir());
            var result = engineCheckpoint(dir, original.pid());
            assertEquals(0, result.status(), result.describe());
            String name = "context." + original.pid();
            assertEquals(List.of(name), CheckpointHarness.listNames(dir));
            assertEquals(around, CheckpointHarness.listNames(original.dir()), "something was written beside the directory");
            Checkpointer.create().verify(dir.resolve(name));
            Files.delete(dir.resolve(name));

            CheckpointResult api = Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(dir).build());
            assertEquals(dir.resolve(name).toAbsolutePath(), api.file());
            assertTrue(Files.isRegularFile(api.file(), LinkOption.NOFOLLOW_LINKS));
            assertEquals(List.of(name), CheckpointHarness.listNames(dir));

            // a name that says "directory" but is none is refused, not taken as a file name
            var missing = engineCheckpoint(dir + "/missing/", original.pid());
            assertEquals(1, missing.status(), missing.describe());
            CheckpointHarness.assertOneLineError(missing.err());
            assertEquals(List.of(name), CheckpointHarness.listNames(dir));
            var missingThroughLauncher = CheckpointHarness.run(List.of(CheckpointHarness.launcher("cr_checkpoint").toString(),
                    "-f", dir + "/missing/", Long.toString(original.pid())), Duration.ofSeconds(60));
            assertNotEquals(0, missingThroughLauncher.status(), missingThroughLauncher.describe());
            CheckpointHarness.assertOneLineError(missingThroughLauncher.err());
            assertEquals(List.of(name), CheckpointHarness.listNames(dir));
            original.goAndAssertPassed();
        }
    }
}
