package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Root restarting a file a normal user recorded (issue 7): the job, soak_job (4 processes, 12
 * threads), checkpointed by {@code cryotest} (who has a supplementary group), comes back with
 * that user's uids, gids and supplementary groups in every thread, no capability, and dumpable
 * (its /proc files are the user's); with --as-caller it comes back as root.  Either way one line
 * on stderr names the credentials, and the job finishes.
 */
class RestartCredentialsTest {
    static final String EXTRA_GROUP = "cryotest-extra";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void rootRestartsAnotherUsersFileAsThatUserUnlessAsCaller() throws Exception {
        int uid = UnprivilegedUser.ensure();
        addSupplementaryGroup();
        var groups = CheckpointHarness.run(List.of("id", "-G", UnprivilegedUser.NAME), Duration.ofSeconds(10));
        String userGroups = sorted(groups.out().get(0));
        assertTrue(userGroups.contains(" "), "the user has a supplementary group: " + userGroups);
        var gid = CheckpointHarness.run(List.of("id", "-g", UnprivilegedUser.NAME), Duration.ofSeconds(10));
        int userGid = Integer.parseInt(gid.out().get(0).trim());

        Path dir = CheckpointHarness.newWorkDir("restart-credentials");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            List<Long> pids = checkpointAsTheUser(dir);
            Path file = dir.resolve("job.cryo");

            Restart asUser = restart(file, RestartOptions.builder().verbose(true).build(), pids);
            try {
                for (String status : asUser.statuses()) {
                    assertEquals(List.of(uid, uid, uid, uid), ids(status, "Uid:"), status);
                    assertEquals(List.of(userGid, userGid, userGid, userGid), ids(status, "Gid:"), status);
                    assertEquals(userGroups, sorted(field(status, "Groups:")), status);
                    assertEquals("0000000000000000", field(status, "CapEff:"), status);
                }
                for (long pid : pids) {
                    assertEquals(uid, Files.getAttribute(Path.of("/proc/" + pid), "unix:uid"),
                            "process " + pid + " is dumpable again (its /proc files are the user's)");
                }
                assertTrue(asUser.finish().contains("cryo-engine restore: restarting as the recorded user: uid " + uid
                        + " gid " + userGid + " groups " + String.join(",", userGroups.split(" "))
                        + " (--as-caller keeps root's)"), asUser.describe());
            } finally {
                asUser.end();
            }

            Files.delete(dir.resolve("go"));
            Restart asRoot = restart(file, RestartOptions.builder().verbose(true).asCaller(true).build(), pids);
            try {
                for (String status : asRoot.statuses()) {
                    assertEquals(List.of(0, 0, 0, 0), ids(status, "Uid:"), status);
                    assertEquals(List.of(0, 0, 0, 0), ids(status, "Gid:"), status);
                }
                assertTrue(asRoot.finish().contains("cryo-engine restore: restarting with your own credentials (uid 0 gid 0),"
                        + " not the recorded uid " + uid + " (--as-caller)"), asRoot.describe());
            } finally {
                asRoot.end();
            }
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /** soak_job as cryotest, waiting for its go file after its rounds; checkpointed with --kill. */
    private static List<Long> checkpointAsTheUser(Path dir) throws Exception {
        Path script = dir.resolve("checkpoint.sh");
        Files.writeString(script, String.join("\n",
                "cd " + dir,
                CheckpointHarness.program("soak_job") + " " + dir + "/go 5 2000 > job.out 2>&1 &",
                "J=$!",
                "for i in $(seq 400); do grep -q 'PROGRESS 5' job.out && break; sleep 0.05; done",
                "echo PIDS $J $(cat /proc/$J/task/*/children)",
                CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine") + " checkpoint --kill -f job.cryo $J",
                "echo CHECKPOINT $?",
                "wait $J",
                ""));
        var result = CheckpointHarness.run(UnprivilegedUser.as(CheckpointHarness.program("soak_job").toString(),
                "--reap", "sh", script.toString()), Duration.ofSeconds(60));
        assertTrue(result.out().contains("CHECKPOINT 0"), result.describe());
        List<Long> pids = Arrays.stream(result.out().stream().filter(l -> l.startsWith("PIDS ")).findFirst()
                .orElseThrow().substring(5).trim().split(" ")).map(Long::parseLong).toList();
        assertEquals(4, pids.size(), result.describe());
        CheckpointHarness.awaitGone(pids.stream().mapToLong(Long::longValue).toArray());
        return pids;
    }

    /** A restart whose job waits for its go file, under soak_job --reap. */
    private record Restart(Process reaper, Path err, Path dir, List<String> statuses) {
        List<String> finish() throws Exception {
            Files.createFile(dir.resolve("go"));
            assertTrue(reaper.waitFor(30, TimeUnit.SECONDS), "the restarted job did not finish");
            assertEquals(0, reaper.exitValue(), describe());
            assertTrue(Files.readString(dir.resolve("job.out")).contains("PASS"), describe());
            return Files.readAllLines(err);
        }

        void end() {
            reaper.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            reaper.destroyForcibly();
        }

        String describe() {
            try {
                return "stderr " + Files.readAllLines(err);
            } catch (java.io.IOException e) {
                return "stderr unreadable";
            }
        }
    }

    /** Restarts, waits for every thread of the job's 4 processes, and reads their status. */
    private static Restart restart(Path file, RestartOptions options, List<Long> pids) throws Exception {
        Path err = file.resolveSibling("restart.err");
        List<String> command = new ArrayList<>(List.of(CheckpointHarness.program("soak_job").toString(), "--reap"));
        command.addAll(Checkpointer.create().restoreCommand(file, options));
        Process reaper = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> statuses = List.of();
        while (System.nanoTime() < deadline) {
            boolean running = Files.readString(err).contains(" as PID");   // the tree is complete: then read it
            statuses = threadStatuses(pids);
            if (running && statuses.size() == 13) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(13, statuses.size(), "threads of the restarted job: " + Files.readAllLines(err));
        return new Restart(reaper, err, file.getParent(), statuses);
    }

    private static List<String> threadStatuses(List<Long> pids) {
        List<String> statuses = new ArrayList<>();
        for (long pid : pids) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : tasks.toList()) {
                    statuses.add(Files.readString(task.resolve("status")));
                }
            } catch (java.io.IOException notYet) {
                return List.of();
            }
        }
        return statuses;
    }

    private static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name)).findFirst().orElseThrow()
                .substring(name.length()).trim();
    }

    private static List<Integer> ids(String status, String name) {
        return Arrays.stream(field(status, name).split("\\s+")).map(Integer::parseInt).toList();
    }

    private static String sorted(String ids) {
        return String.join(" ", new TreeSet<>(Arrays.stream(ids.trim().split("\\s+")).map(Integer::parseInt).toList())
                .stream().map(String::valueOf).toList());
    }

    private static void addSupplementaryGroup() throws Exception {
        var has = CheckpointHarness.run(List.of("getent", "group", EXTRA_GROUP), Duration.ofSeconds(10));
        if (has.status() != 0) {
            var add = CheckpointHarness.run(List.of("groupadd", "-f", EXTRA_GROUP), Duration.ofSeconds(30));
            assertEquals(0, add.status(), add.describe());
        }
        var member = CheckpointHarness.run(List.of("usermod", "-a", "-G", EXTRA_GROUP, UnprivilegedUser.NAME),
                Duration.ofSeconds(30));
        assertEquals(0, member.status(), member.describe());
    }
}
