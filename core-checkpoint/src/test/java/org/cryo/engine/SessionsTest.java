package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sessions and process groups come back as they were (program session_tree.c): a root that led
 * its session (as a batch job's script does: PBS finds a job by its session id) leads it again
 * with the same id, and a session run by job control keeps its groups, a zombie's group
 * included; {@code --no-restore-sid} keeps the root in the restart's session (BLCR's default);
 * a normal user's restart, in a user and PID namespace of its own, has the same ids there.
 */
class SessionsTest {
    /** "pgid sid" of each process of the session led by root, by PID. */
    private static Map<Long, String> idsOfSession(long sid) throws IOException {
        Map<Long, String> ids = new TreeMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String[] f = statFields(p);
                if (f != null && Long.parseLong(f[3]) == sid) {
                    ids.put(Long.parseLong(p.getFileName().toString()), f[2] + " " + f[3]);
                }
            }
        }
        return ids;
    }

    /** The fields of /proc/PID/stat after the command name (0: state, 1: ppid, 2: pgrp, 3: session). */
    private static String[] statFields(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;       // gone meanwhile
        }
    }

    /** Polls (10 s at most) until the ids of these PIDs are as wanted; returns what they are. */
    private static Map<Long, String> awaitIds(Map<Long, String> want, java.util.function.Function<Long, String> now)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<Long, String> seen;
        do {
            seen = want.keySet().stream().collect(Collectors.toMap(p -> p, now, (a, b) -> a, TreeMap::new));
            if (seen.equals(want)) {
                break;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return seen;
    }

    private static String idsNow(long pid) {
        String[] f = statFields(Path.of("/proc/" + pid));
        return f == null ? "gone" : f[2] + " " + f[3];
    }

    /** Starts session_tree MODE, checkpoints it with --kill and waits until every one of its PIDs is free. */
    private static Path checkpointAndKill(CheckpointHarness.Original original, Map<Long, String> before) throws Exception {
        Path file = original.dir().resolve("session.cryo");
        Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file)
                .endAction(EndAction.KILL).build());
        original.kill();
        // the orphans (zombies too) hold the session's id until PID 1 reaps them
        CheckpointHarness.awaitGone(before.keySet().stream().mapToLong(Long::longValue).toArray());
        return file;
    }

    private static void sameIdsAfterRestart(String mode, int processes) throws Exception {
        try (var original = CheckpointHarness.Original.start("session_tree", mode)) {
            Map<Long, String> before = idsOfSession(original.pid());
            assertEquals(processes, before.size(), "the session before the checkpoint: " + before);
            assertEquals(original.pid() + " " + original.pid(), before.get(original.pid()), "the root leads its session");
            Path file = checkpointAndKill(original, before);
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            Map<Long, String> after = awaitIds(before, SessionsTest::idsNow);
            assertEquals(before, after, "process group and session of every process, by PID; " + restored.describe());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRootThatLedItsSessionLeadsItAgain() throws Exception {
        sameIdsAfterRestart("leader", 3);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aJobControlSessionComesBackWithItsGroups() throws Exception {
        sameIdsAfterRestart("jobs", 9);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withoutRestoreSidTheRootJoinsTheRestartsSession() throws Exception {
        try (var original = CheckpointHarness.Original.start("session_tree", "jobs")) {
            Map<Long, String> before = idsOfSession(original.pid());
            Path file = checkpointAndKill(original, before);
            var restored = original.restart(file, RestartOptions.builder().restoreSid(false).inheritIo(false).build());
            long helperSid = Long.parseLong(statFields(Path.of("/proc/" + restored.helper().pid()))[3]);
            // every group as it was, every process in the helper's session (the caller's)
            Map<Long, String> want = new TreeMap<>();
            before.forEach((pid, ids) -> want.put(pid, ids.split(" ")[0] + " " + helperSid));
            Map<Long, String> after = awaitIds(want, SessionsTest::idsNow);
            assertEquals(want, after, "groups kept, the caller's session; " + restored.describe());
            Files.createFile(original.dir().resolve("new-session"));
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withoutRestorePgidEitherTheRootJoinsTheRestartsGroup() throws Exception {
        try (var original = CheckpointHarness.Original.start("session_tree", "leader")) {
            Map<Long, String> before = idsOfSession(original.pid());
            Path file = checkpointAndKill(original, before);
            var restored = original.restart(file, RestartOptions.builder().restoreSid(false).restorePgid(false)
                    .inheritIo(false).build());
            String[] helper = statFields(Path.of("/proc/" + restored.helper().pid()));
            // BLCR's defaults: the root and the members of its group in the helper's group and session
            Map<Long, String> want = new TreeMap<>();
            before.keySet().forEach(pid -> want.put(pid, helper[2] + " " + helper[3]));
            Map<Long, String> after = awaitIds(want, SessionsTest::idsNow);
            assertEquals(want, after, "the caller's group and session; " + restored.describe());
            Files.createFile(original.dir().resolve("new-session"));
            Files.createFile(original.dir().resolve("new-group"));
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSessionIdStillHeldByItsMembersFailsTheRestartNamingOne() throws Exception {
        try (var original = CheckpointHarness.Original.start("session_tree", "leader")) {
            List<ProcessHandle> members = ProcessHandle.of(original.pid()).orElseThrow().children().toList();
            try {
                Path file = original.dir().resolve("session.cryo");
                Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file).build());
                // the leader ends, its children live on: its PID is free of processes but still the session's id
                original.kill();
                CheckpointHarness.awaitGone(original.pid());
                String message = CheckpointHarness.assertRestartRefused(original, file,
                        RestartOptions.builder().inheritIo(false).build());
                assertTrue(message.contains("PID " + original.pid() + " is taken by the session or process group of"),
                        message);
                assertTrue(members.stream().anyMatch(p -> message.contains("[" + p.pid() + "]")), message);
            } finally {
                members.forEach(ProcessHandle::destroyForcibly);
                CheckpointHarness.awaitGone(members.stream().mapToLong(ProcessHandle::pid).toArray());
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aNormalUsersRestartHasTheSameIdsInItsNamespace() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("sessions-unpriv");
        try {
            var result = UserScript.in(dir)
                    .startJob(CheckpointHarness.program("session_tree") + " " + dir + "/go jobs")
                    .then("K=$(ps -o pid= -s $J)",
                            "for p in $K; do echo BEFORE $p $(cut -d')' -f2 /proc/$p/stat | cut -d' ' -f4,5); done")
                    .checkpointAndKill("job.cryo", "$K")
                    .then("R=$($engine restore --detach job.cryo) || exit 4",
                            "for i in $(seq 200); do [ $(ps -o pid= -s $R | wc -l) -ge $(echo $K | wc -w) ] && break; sleep 0.05; done",
                            "for p in $(ps -o pid= -s $R); do echo AFTER $(grep -E '^NS(pid|pgid|sid):' /proc/$p/status"
                                    + " | awk '{print $NF}' | tr '\\n' ' '); done",
                            "touch go")
                    .printResult()
                    .run(Duration.ofSeconds(80));
            String all = result.describe();
            UserScript.assertPassed(result);
            List<String> before = result.out().stream().filter(l -> l.startsWith("BEFORE ")).map(l -> l.substring(7))
                    .sorted().toList();
            List<String> after = result.out().stream().filter(l -> l.startsWith("AFTER ")).map(l -> l.substring(6).trim())
                    .sorted().toList();
            assertEquals(9, before.size(), all);
            assertEquals(before, after, "PID, process group and session of each process, in the job's namespace: " + all);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /**
     * A process of the session whose parent is outside it (its parent exited) would be a second
     * root of the file in a session the first leads: a restart could not put it back in that
     * session (program session_orphan.c), so {@code --sid} refuses it, and the session runs on.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSecondRootInTheFirstRootsSessionIsRefused() throws Exception {
        try (var original = CheckpointHarness.Original.start("session_orphan")) {
            Path file = original.dir().resolve("session.cryo");
            var e = org.junit.jupiter.api.Assertions.assertThrows(org.cryo.api.CheckpointException.class,
                    () -> Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file)
                            .scope(CheckpointOptions.Scope.SESSION).build()));
            CheckpointHarness.assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains("led by process " + original.pid() + " of the checkpoint"), e.getMessage());
            assertTrue(!Files.exists(file), "a context file was left");
            original.goAndAssertPassed();
        }
    }
}
