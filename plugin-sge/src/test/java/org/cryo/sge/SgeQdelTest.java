package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code qdel} of a checkpointable job that has a context: Grid Engine ends the job (no migration,
 * no rerun), its processes are gone, and the environment's clean_command removes the job's catalog
 * (contexts included), so nothing of the job is left behind.
 */
@ResourceLock(SgeCluster.LOCK)
class SgeQdelTest {
    @BeforeAll
    static void installEnvironment() throws Exception {
        SgeCluster.installCheckpointEnvironment();
    }

    @Test
    void qdelEndsTheJobAndCleansItsCatalog() throws Exception {
        Path dir = SgeCluster.jobDir("qdel");
        String jobId = SgeCluster.startCheckpointableJob(dir, 200, 0.25);
        Path catalog = dir.resolve(".cryo").resolve(jobId);
        try {
            SgeCluster.Result create = SgeCluster.execute(Path.of("/"),
                    List.of(SgeCluster.cryo(), "sge", "checkpoint", "create", jobId), Map.of());
            assertEquals(0, create.status(), create.output());
            assertTrue(Files.exists(catalog.resolve("context.000001")), "a context before the qdel");
            long pid = workPid(dir);
            assertTrue(Files.exists(Path.of("/proc", Long.toString(pid))), "the work runs: pid " + pid);

            SgeCluster.run(Path.of("/"), List.of("qdel", jobId), Map.of(), 0);
            SgeCluster.waitUntil("job " + jobId + " to leave", 90, () -> SgeCluster.states(jobId).isEmpty());
            SgeCluster.waitUntil("the work (pid " + pid + ") to end", 30,
                    () -> !Files.exists(Path.of("/proc", Long.toString(pid))) || isZombie(pid));
            SgeCluster.waitUntil("clean_command to remove the catalog", 60, () -> !Files.exists(catalog));
            assertEquals(1, SgeCluster.runs(dir).size(), "never rerun: " + SgeCluster.runs(dir));
            assertFalse(SgeCluster.restarted(dir), "never restarted");
            assertFalse(SgeCluster.done(dir.resolve("progress.txt")), "ended before its work was done");
        } finally {
            SgeCluster.cleanUp(jobId);
        }
    }

    /** The pid the work logged in its START line. */
    private static long workPid(Path dir) {
        String start = SgeCluster.lines(dir.resolve("progress.txt")).get(0);
        for (String word : start.split(" ")) {
            if (word.startsWith("pid=")) {
                return Long.parseLong(word.substring(4));
            }
        }
        throw new AssertionError("no pid in " + start);
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;   // gone meanwhile
        }
    }
}
