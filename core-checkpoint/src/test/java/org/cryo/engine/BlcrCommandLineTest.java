package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.Checkpointer;
import org.cryo.format.ContextInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BLCR's command line, option by option, on real processes: what a BLCR user's batch script
 * passes to {@code cr_checkpoint} and {@code cr_restart} works with BLCR's meaning (issue 14).
 * The job is a {@code sleep} in a session of its own (so that --pgid and --sid scopes hold only
 * it and its children), started by a shell that reaps it; scripts run through {@code sh -c} so
 * that descriptors and pipes are what a user's script would give.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BlcrCommandLineTest {
    private static final Duration RUN = Duration.ofSeconds(60);

    private Path dir;
    private final List<Process> jobs = new ArrayList<>();
    /** Every PID a job had: its restarts have them too, and must not outlive the test. */
    private final List<Long> jobPids = new ArrayList<>();
    private final java.util.Map<Long, long[]> pidsOfJob = new java.util.HashMap<>();

    @BeforeEach
    void workDirectory() throws Exception {
        dir = CheckpointHarness.newWorkDir("blcr-cli");
    }

    @AfterEach
    void cleanUp() {
        for (Process job : jobs) {
            job.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            job.destroyForcibly();
        }
        // only what is still in a job's session: a PID freed meanwhile may be anyone's now
        for (long pid : jobPids) {
            if (jobPids.contains(sessionOf(pid))) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        CheckpointHarness.deleteTree(dir);
    }

    // ---- the job and the commands ----

    /**
     * {@code setsid sh -c 'sleep 300 & sleep 300 & wait'}: a session leader with two children, in
     * the work directory; returns the leader's PID once both children run.
     */
    private long startJob() throws Exception {
        Process job = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & sleep 300 & wait")
                .directory(dir.toFile()).redirectInput(new java.io.File("/dev/null"))
                .redirectOutput(dir.resolve("job.out").toFile()).redirectErrorStream(true).start();
        jobs.add(job);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (job.toHandle().children().count() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(2, job.toHandle().children().count(), "the job's children did not start");
        List<Long> pids = new ArrayList<>(List.of(job.pid()));
        job.toHandle().children().forEach(c -> pids.add(c.pid()));
        jobPids.addAll(pids);
        pidsOfJob.put(job.pid(), pids.stream().mapToLong(Long::longValue).toArray());
        return job.pid();
    }

    private static String crCheckpoint() {
        return CheckpointHarness.launcher("cr_checkpoint").toString();
    }

    private static String crRestart() {
        return CheckpointHarness.launcher("cr_restart").toString();
    }

    /** A shell script in the work directory, $CK and $RS being cr_checkpoint and cr_restart. */
    private CheckpointHarness.CommandResult sh(String script) throws Exception {
        return CheckpointHarness.run(List.of("sh", "-c", "cd \"$0\" && CK=\"$1\" RS=\"$2\"; " + script,
                dir.toString(), crCheckpoint(), crRestart()), RUN);
    }

    private CheckpointHarness.CommandResult checkpoint(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(crCheckpoint()));
        command.addAll(List.of(args));
        return run(command);
    }

    private CheckpointHarness.CommandResult run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
        p.getOutputStream().close();
        var out = new ProgramOutput(p.getInputStream(), command.get(0));
        var err = new ProgramOutput(p.getErrorStream(), command.get(0) + " (stderr)");
        assertTrue(p.waitFor(RUN.toSeconds(), TimeUnit.SECONDS), command + " did not end");
        out.awaitEnd(Duration.ofSeconds(5));
        err.awaitEnd(Duration.ofSeconds(5));
        return new CheckpointHarness.CommandResult(p.exitValue(), out.lines(), err.lines());
    }

    private static int processesIn(Path file) throws Exception {
        ContextInfo info = Checkpointer.create().inspect(file);
        return info.processes().size();
    }

    /** The session of pid, from /proc (0 if it is gone). */
    private static long sessionOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[3]);
        } catch (java.io.IOException | RuntimeException gone) {
            return 0;
        }
    }

    private static String state(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("State:")) {
                return line.substring(6).trim().substring(0, 1);
            }
        }
        throw new AssertionError("no State in /proc/" + pid + "/status");
    }

    /** A signal delivered on detach acts when the process next runs: wait for its state. */
    private static void awaitState(long pid, String wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!state(pid).equals(wanted) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(wanted, state(pid), "state of " + pid);
    }

    private static void assertRunning(long pid) throws Exception {
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "process " + pid + " is gone");
        assertFalse(List.of("T", "t", "Z").contains(state(pid)), "process " + pid + " is " + state(pid));
    }

    private static void assertOneLineError(CheckpointHarness.CommandResult r, int status, String text) {
        assertEquals(status, r.status(), r.describe());
        assertEquals(1, r.err().size(), "one line: " + r.describe());
        assertTrue(r.err().get(0).contains(text), r.describe());
    }

    /** Kills a restored job (given by its root) and waits until it and its children are gone. */
    private static void killTree(long root) throws Exception {
        List<ProcessHandle> tree = new ArrayList<>();
        ProcessHandle.of(root).ifPresent(h -> {
            tree.add(h);
            h.descendants().forEach(tree::add);
        });
        tree.forEach(ProcessHandle::destroyForcibly);
        CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
    }

    // ---- cr_checkpoint ----

    @Nested
    class CrCheckpointScope {
        @Test
        void treeIsTheDefaultAndProcessAloneIsOneProcess() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint(Long.toString(job)).status());
            assertEquals(3, processesIn(dir.resolve("context." + job)), "-T is the default");
            for (String option : List.of("-p", "--pid", "--process")) {
                var r = checkpoint(option, "-f", "one.ctx", Long.toString(job));
                assertEquals(0, r.status(), option + ": " + r.describe());
                assertEquals(1, processesIn(dir.resolve("one.ctx")), option);
            }
            for (String option : List.of("-T", "--tree")) {
                assertEquals(0, checkpoint(option, "-f", "all.ctx", Long.toString(job)).status());
                assertEquals(3, processesIn(dir.resolve("all.ctx")), option);
            }
            assertRunning(job);
        }

        @Test
        void groupAndSessionTakeEveryMember() throws Exception {
            long job = startJob();
            for (String option : List.of("-g", "--pgid", "--group", "-s", "--sid", "--session")) {
                var r = checkpoint(option, "-f", "members.ctx", Long.toString(job));
                assertEquals(0, r.status(), option + ": " + r.describe());
                assertEquals(3, processesIn(dir.resolve("members.ctx")), option);
            }
            assertRunning(job);
        }
    }

    @Nested
    class CrCheckpointDestination {
        @Test
        void cwdFileAndDir() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint("-c", Long.toString(job)).status());
            assertTrue(Files.isRegularFile(dir.resolve("context." + job)), "-c: context.ID in the cwd");
            assertEquals(0, checkpoint("--file", "named.ctx", Long.toString(job)).status());
            assertTrue(Files.isRegularFile(dir.resolve("named.ctx")));
            var r = checkpoint("-d", "made", Long.toString(job));
            assertEquals(0, r.status(), r.describe());
            assertTrue(Files.isRegularFile(dir.resolve("made/context." + job)), "-d DIR: DIR/context.ID");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("made"))));
            assertEquals("rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("made/context." + job))));
            assertRunning(job);
        }

        @Test
        void fdToAFileAndThroughAPipeThenRestartFromEach() throws Exception {
            long job = startJob();
            var toFile = sh("exec \"$CK\" -F 3 " + job + " 3>byfd.ctx");
            assertEquals(0, toFile.status(), toFile.describe());
            assertEquals(0, CheckpointHarness.run(List.of(CheckpointHarness.cryoHome()
                    .resolve("native/target/bin/cryo-engine").toString(), "verify", dir.resolve("byfd.ctx").toString()),
                    RUN).status(), "the context written to a descriptor verifies");
            // through a pipe, ending the job once it is all written; then cr_restart -F 0 from a pipe
            var piped = sh("\"$CK\" --fd 1 --kill " + job + " | cat > piped.ctx");
            assertEquals(0, piped.status(), piped.describe());
            assertFalse(Files.exists(Path.of("/proc/" + job)), "--kill: gone when cr_checkpoint returns");
            var restarted = sh("cat piped.ctx | \"$RS\" --detach -F 0");
            assertEquals(0, restarted.status(), restarted.describe());
            assertEquals(Long.toString(job), restarted.out().get(0), "the same PID");
            assertRunning(job);
            killTree(job);
            var fromFd = sh("\"$RS\" --detach --fd 4 4<byfd.ctx");
            assertEquals(0, fromFd.status(), fromFd.describe());
            assertRunning(job);
            killTree(job);
        }

        @Test
        void aFailedWriteToTheDescriptorLeavesTheJobRunning() throws Exception {
            long job = startJob();
            // the reader is gone before the first byte: EPIPE, and --kill must not happen
            var r = sh("\"$CK\" -F 1 --kill " + job + " | true");
            assertTrue(r.err().stream().anyMatch(l -> l.contains("cannot write the context of " + job)), r.describe());
            assertRunning(job);
            assertEquals(List.of("job.out"), CheckpointHarness.listNames(dir), "no file left");
        }
    }

    @Nested
    class CrCheckpointExistingFile {
        @Test
        void noclobberRefusesBeforeTouchingTheJob() throws Exception {
            long job = startJob();
            Files.writeString(dir.resolve("old.ctx"), "an older checkpoint");
            var r = checkpoint("--noclobber", "-f", "old.ctx", Long.toString(job));
            assertOneLineError(r, 2, "already exists (--noclobber)");
            assertEquals("an older checkpoint", Files.readString(dir.resolve("old.ctx")));
            assertRunning(job);
        }

        @Test
        void backupKeepsTheOldFileNumberedOrNamed() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint("-f", "job.ctx", Long.toString(job)).status());
            byte[] first = Files.readAllBytes(dir.resolve("job.ctx"));
            assertEquals(0, checkpoint("--backup", "-f", "job.ctx", Long.toString(job)).status());
            assertArrayEquals(first, Files.readAllBytes(dir.resolve("job.ctx.~1~")), "the old one is job.ctx.~1~");
            byte[] second = Files.readAllBytes(dir.resolve("job.ctx"));
            assertEquals(0, checkpoint("--backup", "-f", "job.ctx", Long.toString(job)).status());
            assertArrayEquals(second, Files.readAllBytes(dir.resolve("job.ctx.~2~")), "then job.ctx.~2~");
            assertEquals(0, checkpoint("--backup=kept.ctx", "-f", "job.ctx", Long.toString(job)).status());
            assertTrue(Files.isRegularFile(dir.resolve("kept.ctx")));
            assertEquals(3, processesIn(dir.resolve("job.ctx")));
            for (String option : List.of("--atomic", "--clobber")) {
                assertEquals(0, checkpoint(option, "-f", "job.ctx", Long.toString(job)).status(), option);
            }
            assertRunning(job);
        }
    }

    @Nested
    class CrCheckpointSignals {
        @Test
        void runIsTheDefaultAndTheLastSignalOptionCounts() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint("--run", Long.toString(job)).status());
            assertRunning(job);
            assertEquals(0, checkpoint("--kill", "--run", "-f", "last.ctx", Long.toString(job)).status());
            assertRunning(job);
        }

        @Test
        void stopThenCont() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint("--stop", Long.toString(job)).status());
            awaitState(job, "T");
            assertEquals(0, checkpoint("--cont", "-f", "cont.ctx", Long.toString(job)).status());
            assertRunning(job);
        }

        @Test
        void signalByNameOrNumberAbortAndTermEndTheJob() throws Exception {
            for (List<String> option : List.of(List.of("-S", "USR1"), List.of("--signal", "10"), List.of("--abort"),
                    List.of("--term"))) {
                long job = startJob();
                List<String> args = new ArrayList<>(option);
                args.addAll(List.of("-f", "sig.ctx", Long.toString(job)));
                var r = checkpoint(args.toArray(String[]::new));
                assertEquals(0, r.status(), option + ": " + r.describe());
                CheckpointHarness.awaitGone(job);
                Files.delete(dir.resolve("sig.ctx"));
            }
        }

        @Test
        void killReturnsOnlyWhenEveryProcessIsGone() throws Exception {
            long job = startJob();
            long[] children = ProcessHandle.of(job).orElseThrow().children().mapToLong(ProcessHandle::pid).toArray();
            var r = checkpoint("--kill", Long.toString(job));
            assertEquals(0, r.status(), r.describe());
            assertFalse(Files.exists(Path.of("/proc/" + job)), "the root is still there");
            // the children, orphaned, are reaped by PID 1 (late on some machines): exited at least
            for (long child : children) {
                assertTrue(!Files.exists(Path.of("/proc/" + child)) || state(child).equals("Z"), "child " + child);
            }
        }
    }

    @Nested
    class CrCheckpointOtherOptions {
        @Test
        void timeLimitAbandonsTheCheckpointAndTheJobRunsOn() throws Exception {
            long job = startJob();
            // the context goes to a pipe nobody reads: the checkpoint cannot finish within 1 s
            var r = sh("\"$CK\" -t 1 -F 1 --kill " + job + " | sleep 5");
            assertTrue(r.err().stream().anyMatch(l -> l.contains("not done within 1 s (--time)")), r.describe());
            assertRunning(job);
            assertEquals(List.of("job.out"), CheckpointHarness.listNames(dir), "no file left");
        }

        @Test
        void quietVerboseAndAcceptedOptions() throws Exception {
            long job = startJob();
            var quiet = checkpoint("-q", "-f", "/proc/no-such-dir/x.ctx", Long.toString(job));
            assertEquals(2, quiet.status(), quiet.describe());
            assertEquals(List.of(), quiet.err(), "-q: no message");
            var verbose = checkpoint("-v", "--sync", "--save-none", "-f", "v.ctx", Long.toString(job));
            assertEquals(0, verbose.status(), verbose.describe());
            assertTrue(verbose.out().get(0).contains("checkpointed " + job + " to v.ctx"), verbose.describe());
            // -v also breaks the frozen time down, phase by phase (issue 15)
            for (String phase : List.of("freeze (seize, prepare threads)", "injected calls, every thread", "pages",
                    "commit (table, fsync, link)", "unfreeze", "frozen, in all")) {
                assertTrue(verbose.err().stream().anyMatch(l -> l.startsWith("cryo: " + job + " " + phase)),
                        phase + ": " + verbose.describe());
            }
            assertEquals(0, checkpoint("--nosync", "-f", "v.ctx", Long.toString(job)).status());
            assertRunning(job);
        }

        @Test
        void badInputIsOneLineAndExitOne() throws Exception {
            long job = startJob();
            assertOneLineError(checkpoint("--bogus", Long.toString(job)), 1, "unknown option '--bogus'");
            assertOneLineError(checkpoint(), 1, "no ID given");
            assertOneLineError(checkpoint(Long.toString(job), "1"), 1, "one ID only");
            assertOneLineError(checkpoint("notapid"), 1, "invalid ID 'notapid'");
            assertOneLineError(checkpoint("-S", "NOSUCH", Long.toString(job)), 1, "invalid signal 'NOSUCH'");
            assertOneLineError(checkpoint("-t", "soon", Long.toString(job)), 1, "invalid time 'soon'");
            assertOneLineError(checkpoint("-F", "1", "--noclobber", Long.toString(job)), 1, "not for --fd");
            assertEquals(0, checkpoint("--help").status());
            assertTrue(checkpoint("--version").out().get(0).startsWith("cr_checkpoint (Cryo) "));
            assertEquals(List.of("job.out"), CheckpointHarness.listNames(dir));
            assertRunning(job);
        }
    }

    /**
     * --save-*: mapped files by content.  save_by_content maps a private and a shared data file
     * and runs from a copy of itself; all three are deleted before the restart.
     */
    @Nested
    class CrCheckpointSaveFiles {
        private CheckpointHarness.Original startMapping() throws Exception {
            Path work = CheckpointHarness.newWorkDir("save-by-content");
            Path copy = work.resolve("prog");
            Files.copy(CheckpointHarness.program("save_by_content"), copy);
            copy.toFile().setExecutable(true);
            return CheckpointHarness.Original.startCommand(work, List.of(copy.toString(),
                    work.resolve("go").toString(), work.toString()), java.util.Map.of());
        }

        private Path checkpointKilled(CheckpointHarness.Original original, String... options) throws Exception {
            Path context = original.dir().resolve("job.ctx");
            List<String> command = new ArrayList<>(List.of(crCheckpoint()));
            command.addAll(List.of(options));
            command.addAll(List.of("--kill", "-f", context.toString(), Long.toString(original.pid())));
            var r = run(command);
            assertEquals(0, r.status(), r.describe());
            original.kill();
            return context;
        }

        private void deleteFiles(CheckpointHarness.Original original) throws Exception {
            for (String name : List.of("prog", "private.data", "shared.data")) {
                Files.delete(original.dir().resolve(name));
            }
        }

        @Test
        void saveAllNeedsNoneOfTheMappedFilesAtRestart() throws Exception {
            try (var original = startMapping()) {
                Path context = checkpointKilled(original, "--save-all");
                deleteFiles(original);
                var restored = original.restart(context, org.cryo.api.RestartOptions.builder().inheritIo(false).build());
                original.go();
                restored.assertPassed();
                List<String> lines = restored.out().lines();
                assertTrue(lines.contains("PRIVATE anon"), "private: anonymous memory: " + restored.describe());
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("SHARED ") && l.endsWith(" (deleted)")),
                        "shared: a fresh unlinked copy: " + restored.describe());
                assertTrue(lines.contains("SHARED_FILE gone"), restored.describe());
            }
        }

        @Test
        void saveSharedNeverWritesTheOriginalFile() throws Exception {
            try (var original = startMapping()) {
                Path context = checkpointKilled(original, "--save-private", "--save-shared", "--save-exe");
                Files.delete(original.dir().resolve("prog"));
                byte[] before = Files.readAllBytes(original.dir().resolve("shared.data"));
                var restored = original.restart(context, org.cryo.api.RestartOptions.builder().inheritIo(false).build());
                original.go();
                restored.assertPassed();
                assertArrayEquals(before, Files.readAllBytes(original.dir().resolve("shared.data")),
                        "the restarted job wrote to its own copy");
            }
        }

        @Test
        void saveNoneIsByReferenceAndTheLastResetCounts() throws Exception {
            try (var original = startMapping()) {
                Path context = checkpointKilled(original, "--save-all", "--save-none");
                Files.delete(original.dir().resolve("private.data"));
                String message = CheckpointHarness.assertRestartRefused(original, context,
                        org.cryo.api.RestartOptions.builder().inheritIo(false).build());
                assertTrue(message.contains("private.data") && message.contains("gone"), message);
            }
        }
    }

    // ---- cr_restart ----

    /** The job checkpointed with --kill to job.ctx, gone: ready to restart. */
    private long checkpointedAndKilled() throws Exception {
        long job = startJob();
        var r = checkpoint("--kill", "-f", "job.ctx", Long.toString(job));
        assertEquals(0, r.status(), r.describe());
        CheckpointHarness.awaitGone(pidsOfJob.get(job));
        return job;
    }

    @Nested
    class CrRestartSource {
        @Test
        void fileArgumentFileOptionAndDir() throws Exception {
            long job = checkpointedAndKilled();
            for (List<String> source : List.of(List.of("job.ctx"), List.of("-f", "job.ctx"), List.of("--file", "job.ctx"))) {
                List<String> command = new ArrayList<>(List.of(crRestart(), "--detach"));
                command.addAll(source);
                var r = run(command);
                assertEquals(0, r.status(), source + ": " + r.describe());
                assertRunning(job);
                killTree(job);
            }
            Files.createDirectory(dir.resolve("only"));
            Files.move(dir.resolve("job.ctx"), dir.resolve("only/context." + job));
            var r = run(List.of(crRestart(), "--detach", "-d", "only"));
            assertEquals(0, r.status(), r.describe());
            assertRunning(job);
            killTree(job);
        }
    }

    @Nested
    class CrRestartSignals {
        @Test
        void stopAndSignalAfterTheRestart() throws Exception {
            long job = checkpointedAndKilled();
            assertEquals(0, run(List.of(crRestart(), "--detach", "--stop", "job.ctx")).status());
            awaitState(job, "T");
            killTree(job);
            var r = run(List.of(crRestart(), "--kill", "job.ctx"));
            assertEquals(128 + 9, r.status(), "--kill: the restored root is killed, and cr_restart with it: "
                    + r.describe());
            CheckpointHarness.awaitGone(pidsOfJob.get(job));      // its children too, orphans reaped by PID 1
            assertEquals(0, run(List.of(crRestart(), "--detach", "--run", "-S", "CONT", "job.ctx")).status());
            assertRunning(job);
            killTree(job);
        }

        @Test
        void crRestartDiesByTheSignalTheRestoredProcessDiedBy() throws Exception {
            long job = checkpointedAndKilled();
            // python tells a death by a signal (negative returncode) from an exit status
            String script = "import subprocess, sys\n"
                    + "p = subprocess.Popen([sys.argv[1], sys.argv[2]])\n"
                    + "import time, os\n"
                    + "for _ in range(2000):\n"
                    + "    if os.path.exists('/proc/%s' % sys.argv[3]):\n"
                    + "        break\n"
                    + "    time.sleep(0.01)\n"
                    + "time.sleep(0.2)\n"
                    + "os.kill(int(sys.argv[3]), 10)\n"
                    + "print(p.wait())\n";
            var r = CheckpointHarness.run(List.of("python3", "-c", script, crRestart(), dir.resolve("job.ctx").toString(),
                    Long.toString(job)), RUN);
            assertEquals(List.of("-10"), r.out(), "cr_restart killed by SIGUSR1 like the job: " + r.describe());
        }
    }

    @Nested
    class CrRestartHooks {
        @Test
        void failureHooksByKind() throws Exception {
            Files.writeString(dir.resolve("garbage.ctx"), "not a context file");
            assertEquals(7, sh("\"$RS\" --run-on-fail-args='exit 7' missing.ctx").status(), "missing file: args");
            assertEquals(8, sh("\"$RS\" --run-on-fail-perm='exit 8' garbage.ctx").status(), "corrupt file: perm");
            assertEquals(9, sh("\"$RS\" --run-on-failure='exit 9' garbage.ctx").status(), "--run-on-failure: any");
            assertEquals(6, sh("\"$RS\" --run-on-fail-args='exit 6' --no-such-option x.ctx").status(),
                    "a usage error is an args failure");
            var zero = sh("\"$RS\" --run-on-fail-perm='echo HOOK' garbage.ctx");
            assertEquals(125, zero.status(), "a hook that succeeds leaves the failure: " + zero.describe());
            assertEquals(List.of("HOOK"), zero.out());
            assertEquals(1, zero.err().size(), zero.describe());
        }

        @Test
        void pidInUseIsTemporaryAndSuccessHookRunsOnceItRuns() throws Exception {
            long job = checkpointedAndKilled();
            assertEquals(0, run(List.of(crRestart(), "--detach", "job.ctx")).status());
            // the same PIDs are taken now: a temporary failure
            assertEquals(5, sh("\"$RS\" --run-on-fail-temp='exit 5' job.ctx").status());
            killTree(job);
            var r = sh("\"$RS\" --run-on-success='test -e /proc/" + job + " && exit 3' job.ctx");
            assertEquals(3, r.status(), "a success hook's non-zero status, at once: " + r.describe());
            assertRunning(job);
            killTree(job);
        }
    }

    /**
     * --omit-*: whether cr_restart, the restarted job's parent, is in a checkpoint that reaches it:
     * one of cr_restart itself, and one of the shell that started it.  BLCR's rule: always out;
     * never in; maybe (default) out when it is the target, in when only its parent is.
     */
    @Nested
    class CrRestartOmit {
        @Test
        void omitModesDecideWhetherCrRestartIsSaved() throws Exception {
            long job = startJob();
            assertEquals(0, checkpoint("-f", "job.ctx", Long.toString(job)).status());
            // three copies of the running job at once, with new PIDs: no waiting for PIDs to be free
            var modes = List.of(List.of("--omit-maybe", 3, 5), List.of("--omit-always", 3, 4), List.of("--omit-never", 4, 5));
            List<Process> shells = new ArrayList<>();
            for (var mode : modes) {
                Process shell = new ProcessBuilder("sh", "-c", "\"$0\" --no-restore-pid " + mode.get(0) + " job.ctx; true",
                        crRestart()).directory(dir.toFile()).redirectInput(new java.io.File("/dev/null"))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                jobs.add(shell);
                shells.add(shell);
            }
            for (int i = 0; i < modes.size(); i++) {
                var mode = modes.get(i);
                long restarter = awaitRestarted(shells.get(i));
                var ofRestarter = checkpoint("-f", "r.ctx", Long.toString(restarter));
                assertEquals(0, ofRestarter.status(), mode + ": " + ofRestarter.describe());
                var ofShell = checkpoint("-f", "s.ctx", Long.toString(shells.get(i).pid()));
                assertEquals(0, ofShell.status(), mode + ": " + ofShell.describe());
                assertEquals(List.of(mode.get(1), mode.get(2)), List.of(processesIn(dir.resolve("r.ctx")),
                        processesIn(dir.resolve("s.ctx"))), mode + ": processes with cr_restart, with its shell as target");
            }
            for (Process shell : shells) {
                shell.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                assertTrue(shell.waitFor(20, TimeUnit.SECONDS), "cr_restart ended with its job");
            }
        }

        /** shell's cr_restart, once the job it restarted runs, none of it traced any more. */
        private long awaitRestarted(Process shell) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                var restarter = shell.toHandle().children().findFirst();
                var root = restarter.flatMap(r -> r.children().findFirst());
                if (root.isPresent() && root.get().children().count() == 2 && !traced(root.get().pid())
                        && root.get().children().noneMatch(c -> traced(c.pid()))) {
                    jobPids.add(root.get().pid());
                    root.get().children().forEach(c -> jobPids.add(c.pid()));
                    return restarter.get().pid();
                }
                Thread.sleep(10);
            }
            throw new AssertionError("the job was not restarted in time");
        }

        private static boolean traced(long pid) {
            try {
                return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                        .anyMatch(l -> l.startsWith("TracerPid:") && !l.substring(10).trim().equals("0"));
            } catch (java.io.IOException gone) {
                return true;
            }
        }
    }

    @Nested
    class CrRestartDetach {
        @Test
        void detachReturnsAtOnceAndTheStatusFileSaysHowTheJobEnded() throws Exception {
            long job = checkpointedAndKilled();
            var r = sh("pid=$(\"$RS\" --detach --status-file st job.ctx) && echo \"PID $pid\"");
            assertEquals(0, r.status(), r.describe());
            assertEquals(List.of("PID " + job), r.out(), "$(cr_restart --detach) returns with the PID");
            assertRunning(job);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("st"))));
            ProcessHandle.of(job).orElseThrow().destroy();       // SIGTERM: sh dies of it
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Files.readString(dir.resolve("st")).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("signal 15\n", Files.readString(dir.resolve("st")), "the keeper recorded the end");
            killTree(job);
        }

        @Test
        void identifierOptionsAreAccepted() throws Exception {
            long job = checkpointedAndKilled();
            var r = run(List.of(crRestart(), "--detach", "--no-restore-pid", "--no-restore-pgid", "--no-restore-sid",
                    "job.ctx"));
            assertEquals(0, r.status(), r.describe());
            long other = Long.parseLong(r.out().get(0));
            assertTrue(other != job, "--no-restore-pid: a new PID");
            assertRunning(other);
            killTree(other);
            var usage = run(List.of(crRestart(), "--status-file", "x", "job.ctx"));
            assertOneLineError(usage, 125, "--status-file goes with --detach");
            assertOneLineError(run(List.of(crRestart(), "--relocate", "nothing", "job.ctx")), 125, "invalid --relocate");
        }
    }
}
