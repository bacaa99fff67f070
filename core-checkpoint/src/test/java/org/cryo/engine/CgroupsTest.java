package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cgroup membership is the restart's, never the checkpoint's (docs/RESTART-SAFETY.md): a job
 * checkpointed in cgroup JOB and restarted by a {@code cr_restart} that its scheduler put in
 * cgroup RESTART comes back in RESTART, where the scheduler accounts and limits it. Tested on
 * the v1 pids hierarchy (program baseline.c).
 */
class CgroupsTest {
    private static final Path PIDS = Path.of("/sys/fs/cgroup/pids");

    /** The path of pid's cgroup in the pids hierarchy ("/a/b"), or "" if it has none (gone). */
    private static String pidsCgroup(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && List.of(f[1].split(",")).contains("pids")) {
                    return f[2];
                }
            }
        } catch (IOException gone) {
            // not there (yet)
        }
        return "";
    }

    private static void removeWhenEmpty(Path cgroup) throws InterruptedException {
        for (int i = 0; i < 500 && Files.isDirectory(cgroup); i++) {
            try {
                Files.delete(cgroup);
            } catch (IOException busy) {
                Thread.sleep(20);    // a zombie not yet reaped still counts
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aRestartedJobIsInTheRestartersCgroupNotTheOneItWasCheckpointedIn() throws Exception {
        assumeTrue(Files.isWritable(PIDS.resolve("cgroup.procs")), "no writable v1 pids hierarchy");
        Path base = PIDS.resolve("cryo-test-cgroups-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Path job = base.resolve("job");
        Path restart = base.resolve("restart");
        Files.createDirectories(job);
        Files.createDirectories(restart);
        Process restarter = null;
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Files.writeString(job.resolve("cgroup.procs"), Long.toString(original.pid()));
            String jobPath = "/" + PIDS.relativize(job);
            assertEquals(jobPath, pidsCgroup(original.pid()));
            Path context = original.checkpoint();
            original.kill();
            CheckpointHarness.awaitGone(original.pid());

            // as a scheduler starts it: cr_restart is put in the job's new cgroup before it runs
            restarter = new ProcessBuilder("/bin/sh", "-c", "echo $$ > \"$1\" && exec \"$2\" \"$3\"", "sh",
                    restart.resolve("cgroup.procs").toString(), CheckpointHarness.launcher("cr_restart").toString(),
                    context.toString()).redirectErrorStream(true).start();
            var out = new ProgramOutput(restarter.getInputStream(), "cr_restart");
            String restartPath = "/" + PIDS.relativize(restart);
            String now = "";
            for (int i = 0; i < 1000 && now.isEmpty(); i++) {     // until the PID exists again
                now = pidsCgroup(original.pid());
                Thread.sleep(now.isEmpty() ? 10 : 0);
            }
            assertEquals(restartPath, now, "the restored process's cgroup; " + out);
            assertNotEquals(jobPath, now);
            original.go();
            assertTrue(restarter.waitFor(30, TimeUnit.SECONDS), "cr_restart did not end: " + out);
            out.awaitEnd(java.time.Duration.ofSeconds(5));
            assertTrue(out.lines().contains("PASS"), out.toString());
            assertEquals(0, restarter.exitValue(), out.toString());
        } finally {
            if (restarter != null) {
                restarter.destroyForcibly();
                restarter.waitFor(10, TimeUnit.SECONDS);
            }
            removeWhenEmpty(job);
            removeWhenEmpty(restart);
            removeWhenEmpty(base);
        }
    }
}
