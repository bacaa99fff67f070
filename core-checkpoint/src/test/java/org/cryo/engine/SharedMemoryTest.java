package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Memory a parent and child share stays shared after the restart (program shared_memory.c):
 * MAP_SHARED|MAP_ANONYMOUS with a process-shared mutex, a memfd, an unlinked POSIX semaphore.
 */
class SharedMemoryTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sharedMemoryStaysShared() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("shared_memory");
    }

    /**
     * A parent asleep at checkpoint time in sem_wait (a thread) and sem_timedwait (its main
     * thread) on unlinked POSIX semaphores is woken by its restarted child's sem_post
     * (program sem_wake.c): the interrupted futex waits are re-entered on the restored objects.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWaiterAsleepAcrossTheRestartIsWoken() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("sem_wake");
    }

    /**
     * Pages of a shared memory object the process never touched (a memfd written through its
     * closed descriptor, shared anonymous memory a child wrote) come back, and its holes stay
     * holes (program shared_unseen.c): as root (the object read through /proc/PID/map_files) ...
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pagesTheProcessNeverTouchedComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("shared_unseen");
    }

    /**
     * ... and as a normal user, who may not open map_files: the process itself tells which pages
     * of shared anonymous memory are resident (mincore), read through /proc/PID/mem without
     * faulting holes in; both after a restart and after a checkpoint that left the job running.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aNormalUsersCheckpointSeesThemToo() throws Exception {
        UnprivilegedUser.ensure();
        Path dir = CheckpointHarness.newWorkDir("shared-unseen-unpriv");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path script = dir.resolve("run.sh");
            // the memfd held open: a user's checkpoint refuses one only mapped (MemfdSealsTest)
            String program = CheckpointHarness.program("shared_unseen").toString();
            Files.writeString(script, String.join("\n",
                    "set -u",
                    "cd " + dir,
                    "engine=" + CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine"),
                    "ready() { for i in $(seq 400); do grep -q READY $1 && return; sleep 0.05; done; }",
                    "done_() { for i in $(seq 400); do grep -q -e PASS -e FAIL $1 && return; sleep 0.05; done; }",
                    // left running: the checkpoint must not have changed it
                    "mkdir run; " + program + " " + dir + "/run/go held > run.out 2>&1 &",
                    "R=$!; ready run.out",
                    "$engine checkpoint -f run.cryo $R || exit 3",
                    "touch run/go; wait $R; cat run.out",
                    // killed and restarted
                    program + " " + dir + "/go held > job.out 2>&1 &",
                    "J=$!; ready job.out",
                    "$engine checkpoint --kill -f job.cryo $J || exit 4",
                    "wait $J; for i in $(seq 400); do [ -e /proc/$J ] || break; sleep 0.05; done",
                    "$engine restore --detach job.cryo > /dev/null || exit 5",
                    "touch go; done_ job.out; sleep 0.2; cat job.out",
                    ""));
            var result = CheckpointHarness.run(UnprivilegedUser.as(CheckpointHarness.program("soak_job").toString(),
                    "--reap", "sh", script.toString()), Duration.ofSeconds(80));
            String all = result.describe();
            assertEquals(0, result.status(), all);
            assertEquals(2, result.out().stream().filter(l -> l.equals("PASS")).count(), all);
            assertTrue(result.out().stream().noneMatch(l -> l.startsWith("FAIL")), all);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
