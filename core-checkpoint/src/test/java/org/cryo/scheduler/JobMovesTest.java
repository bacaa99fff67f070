package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog's records of a job's periodic interval and its restarts ({@code interval},
 * {@code leaving}, {@code moves}): written as the other catalog files (0600, atomically), read as
 * untrusted input (the job's user can write them).
 */
class JobMovesTest {
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path work;

    private JobDirectory dir() throws Exception {
        return JobCatalog.at(work.resolve(".cryo"), Map.of()).job("42", ME).create();
    }

    @Test
    void movesAreAppendedOldestFirstAndWrittenOwnerOnly() throws Exception {
        JobDirectory dir = dir();
        Instant t = Instant.parse("2026-12-01T23:00:00Z");
        dir.recordMove(new JobMove(t, "n1", "n2", JobMove.Reason.MIGRATED, "context.000002"));
        dir.recordMove(new JobMove(t.plusSeconds(60), "n2", "n1", JobMove.Reason.HEALTH, "context.000003"));
        assertEquals(List.of(new JobMove(t, "n1", "n2", JobMove.Reason.MIGRATED, "context.000002"),
                new JobMove(t.plusSeconds(60), "n2", "n1", JobMove.Reason.HEALTH, "context.000003")), dir.moves());
        Path file = dir.path().resolve("moves");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("2026-12-01T23:00:00Z n1 n2 migrated context.000002\n"
                + "2026-12-01T23:01:00Z n2 n1 health context.000003\n", Files.readString(file));
    }

    @Test
    void onlyTheLastTwoHundredAreKept() throws Exception {
        JobDirectory dir = dir();
        Instant t = Instant.parse("2026-12-01T00:00:00Z");
        StringBuilder full = new StringBuilder();
        for (int i = 0; i < JobDirectory.MAX_MOVES; i++) {
            full.append(new JobMove(t.plusSeconds(i), "n1", "n2", JobMove.Reason.PREEMPTED, "-").toLine()).append('\n');
        }
        Files.writeString(dir.path().resolve("moves"), full);
        dir.recordMove(new JobMove(t.plusSeconds(JobDirectory.MAX_MOVES), "n2", "n1", JobMove.Reason.FAILED, "-"));
        List<JobMove> moves = dir.moves();
        assertEquals(JobDirectory.MAX_MOVES, moves.size());
        assertEquals(t.plusSeconds(1), moves.get(0).at(), "the oldest went first");
        assertEquals(JobMove.Reason.FAILED, moves.get(moves.size() - 1).reason());
    }

    @Test
    void aLineThatIsNotAMoveIsLeftOutAndAnOversizedFileRefused() throws Exception {
        JobDirectory dir = dir();
        Path file = dir.path().resolve("moves");
        Files.writeString(file, "2026-12-01T23:00:00Z n1 n2 migrated context.000002\n"
                + "2026-12-01T23:00:00Z n1 n2 teleported context.000002\n"          // no such reason
                + "2026-12-01T23:00:00Z n1 ../etc n2 failed -\n"                   // six fields
                + "yesterday n1 n2 failed -\n"
                + "2026-12-01T23:00:00Z n1 n2 failed /etc/shadow\n"
                + "2026-12-01T23:00:00Z \u001b[31m n2 failed -\n");
        assertEquals(List.of(new JobMove(Instant.parse("2026-12-01T23:00:00Z"), "n1", "n2", JobMove.Reason.MIGRATED,
                "context.000002")), dir.moves());
        Files.writeString(file, "x".repeat(70_000));
        JobDirectory.UnsafeCatalogException e = assertThrows(JobDirectory.UnsafeCatalogException.class, dir::moves);
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new JobMove(Instant.now(), "n1 n2", "n3", JobMove.Reason.FAILED, "-"), "a node with a space");
    }

    @Test
    void theIntervalIsMillisecondsAndAnythingElseIsNone() throws Exception {
        JobDirectory dir = dir();
        assertEquals(Optional.empty(), dir.interval());
        dir.recordInterval(Duration.ofSeconds(90));
        assertEquals(Optional.of(Duration.ofSeconds(90)), dir.interval());
        Files.writeString(dir.path().resolve("interval"), "-5\n");
        assertEquals(Optional.empty(), dir.interval());
    }

    @Test
    void whyAJobLeftIsTakenOnceByItsRestart() throws Exception {
        JobDirectory dir = dir();
        dir.recordLeaving(JobMove.Reason.HEALTH);
        assertEquals(Optional.of(JobMove.Reason.HEALTH), dir.takeLeaving());
        assertEquals(Optional.empty(), dir.takeLeaving(), "a later restart without a vacate is a failure's");
        Files.writeString(dir.path().resolve("leaving"), "bored\n");
        assertEquals(Optional.empty(), dir.takeLeaving());
    }
}
