package org.cryo.scheduler;

import org.cryo.api.SafeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: root acting in a user's job catalog (as cryo slurm does) on the real file system.
 * The user ({@code cryotest}) owns the catalog and plants links to a root-owned file outside it,
 * another user's file, the job directory or the catalog root as links; every operation that
 * would touch them is refused with one line naming the file, and the victim stays as it was.
 */
class JobDirectoryTest {
    private static final String USER = "cryotest";
    private static UserPrincipal user;

    @TempDir
    Path work;
    private Path catalog;
    private Path victim;
    private JobDirectory dir;

    @BeforeAll
    static void user() throws Exception {
        if (run("id", "-u", USER) != 0) {
            assertEquals(0, run("useradd", "-M", "-s", "/usr/sbin/nologin", USER));
        }
        user = Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
        assertEquals("root", System.getProperty("user.name"), "these tests act as root in a user's catalog");
    }

    @BeforeEach
    void catalogOfTheUser() throws Exception {
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path submitDir = Files.createDirectory(work.resolve("submit"));
        catalog = Files.createDirectories(submitDir.resolve(".cryo/42"));
        for (Path p : List.of(submitDir, submitDir.resolve(".cryo"), catalog)) {
            Files.setOwner(p, user);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        }
        victim = Files.writeString(work.resolve("victim"), "root's file\n");
        dir = new JobCatalog(submitDir.resolve(".cryo"), 2).job("42", USER);
    }

    @Test
    void rootWritesFilesOfTheUserMode0600() throws Exception {
        dir.recordError(3, "boom");
        dir.markVacating();
        dir.setDisabled(true);
        dir.lock(0).orElseThrow().close();
        for (String name : List.of("error", "vacating", "disabled", "lock")) {
            Path file = catalog.resolve(name);
            assertEquals(USER, Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName(), name);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), name);
        }
        assertEquals(new JobDirectory.CheckpointError(3, "boom"), dir.lastError().orElseThrow());
        assertTrue(dir.isVacating() && dir.isDisabled());
        dir.clearVacating();
        dir.setDisabled(false);
        assertFalse(dir.isVacating() || dir.isDisabled());
    }

    /** Open MPI's session directory (cr_run's mpi-session) goes with a clean of the whole catalog; its links are not followed. */
    @Test
    void aCleanOfEverythingRemovesTheMpiSessionTreeWithoutFollowingItsLinks() throws Exception {
        Path session = Files.createDirectories(catalog.resolve(JobDirectory.MPI_SESSION + "/ompi.vm.0/pid.7/0"));
        Files.writeString(session.resolve("contact.txt"), "x");
        Files.createSymbolicLink(session.resolve("victim"), victim);
        Files.createSymbolicLink(catalog.resolve(JobDirectory.MPI_SESSION + "/ompi.vm.0/up"), work);
        Files.writeString(catalog.resolve("context.000001"), "c");
        assertEquals(0, dir.clean(1), "a clean that keeps contexts keeps the session");
        assertTrue(Files.isDirectory(session));
        assertEquals(1, dir.clean(0));
        assertFalse(Files.exists(catalog, LinkOption.NOFOLLOW_LINKS), "the job's catalog is gone");
        assertEquals("root's file\n", Files.readString(victim), "a link's target stays");
        assertTrue(Files.isDirectory(work.resolve("submit")));
    }

    @Test
    void plantedLinksAreRefusedAndTheirTargetsUntouched() throws Exception {
        assertRefused("error.tmp", () -> dir.recordError(1, "x"));
        assertRefused("vacating", () -> dir.markVacating());
        assertRefused("vacating", () -> dir.isVacating());
        assertRefused("disabled", () -> dir.setDisabled(true));
        assertRefused("disabled", () -> dir.setDisabled(false));
        assertRefused("lock", () -> dir.lock(0));
        assertRefused("process", () -> dir.process());
        assertRefused("context.000001", () -> dir.nextContext());
        assertRefused("moves", () -> dir.moves());
        assertRefused("moves", () -> dir.recordMove(new JobMove(java.time.Instant.now(), "a", "b", JobMove.Reason.FAILED, "-")));
        assertRefused("interval", () -> dir.interval());
        assertRefused("leaving", () -> dir.takeLeaving());
    }

    private void assertRefused(String name, Executable operation) throws Exception {
        Path link = Files.createSymbolicLink(catalog.resolve(name), victim);
        JobDirectory.UnsafeCatalogException e = assertThrows(JobDirectory.UnsafeCatalogException.class, operation);
        assertEquals("refusing " + link + ": a symbolic link", e.getMessage());
        assertEquals("root's file\n", Files.readString(victim));
        assertEquals("root", Files.getOwner(victim).getName());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)));
        Files.delete(link);
    }

    @Test
    void aJobDirectoryOrCatalogRootThatIsALinkIsRefused() throws Exception {
        Path elsewhere = Files.createDirectory(work.resolve("elsewhere"));
        Path moved = catalog.resolveSibling("42.real");
        Files.move(catalog, moved);
        Files.createSymbolicLink(catalog, elsewhere);
        Exception e = assertThrows(JobDirectory.UnsafeCatalogException.class, () -> dir.setDisabled(true));
        assertEquals("refusing " + catalog + ": a symbolic link", e.getMessage());

        Path root = catalog.getParent();
        Files.move(root, root.resolveSibling(".cryo.real"));
        Files.createSymbolicLink(root, elsewhere);
        e = assertThrows(JobDirectory.UnsafeCatalogException.class, () -> dir.recordError(1, "x"));
        assertEquals("refusing " + root + ": a symbolic link", e.getMessage());
        try (var entries = Files.list(elsewhere)) {
            assertEquals(0, entries.count(), "nothing written through the links");
        }
    }

    @Test
    void anotherUsersFileOrAWritableDirectoryIsRefused() throws Exception {
        Path process = Files.writeString(catalog.resolve("process"), "pid=1\nnode=vm\n");
        Files.setOwner(process, Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        Exception e = assertThrows(JobDirectory.UnsafeCatalogException.class, () -> dir.process());
        assertEquals("refusing " + process + ": owned by nobody, not by the job's user cryotest or root", e.getMessage());
        Files.delete(process);

        Files.setPosixFilePermissions(catalog, PosixFilePermissions.fromString("rwxrwxrwx"));
        e = assertThrows(JobDirectory.UnsafeCatalogException.class, () -> dir.markVacating());
        assertEquals("refusing " + catalog + ": writable by other users than its owner", e.getMessage());
    }

    @Test
    void catalogStringsReachMessagesEscapedAndShort() throws Exception {
        Files.writeString(catalog.resolve("error"), "1 red \u001b[31mALERT\u0007 \u202e" + "x".repeat(1000) + "\n");
        String message = dir.lastError().orElseThrow().message();
        assertTrue(message.startsWith("red \\x1b[31mALERT\\x07 \\u202e"), message);
        assertTrue(message.length() < 2 * SafeText.MAX_LENGTH + 10, "length " + message.length());
        assertEquals("vm\\x0a\\x1b]0;owned\\x07", SafeText.escape("vm\n\u001b]0;owned\u0007"));
    }

    /** A FIFO where a catalog file should be is refused, and never blocks root on its open. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aPlantedFifoIsRefusedWithoutBlocking() throws Exception {
        for (var c : List.<java.util.Map.Entry<String, Executable>>of(java.util.Map.entry("vacating", () -> dir.isVacating()),
                java.util.Map.entry("process", () -> dir.process()), java.util.Map.entry("lock", () -> dir.lock(0)))) {
            Path fifo = catalog.resolve(c.getKey());
            assertEquals(0, run("mkfifo", fifo.toString()));
            JobDirectory.UnsafeCatalogException e = assertThrows(JobDirectory.UnsafeCatalogException.class, c.getValue());
            assertEquals("refusing " + fifo + ": not a regular file", e.getMessage());
            Files.delete(fifo);
        }
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return process.exitValue();
    }
}
