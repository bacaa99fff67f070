package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The context file while it is written (issue 7).  Where the file system has O_TMPFILE it has no
 * name until the commit, so even a tracer killed outright (SIGKILL to the tracer process itself,
 * which nothing can catch) leaves nothing in the directory.  Where it has none (the engine run
 * under {@code no_tmpfile}, which gives it EOPNOTSUPP as such a file system would: vfat and minix
 * are not in this machine's kernel) the file is {@code .NAME.cryo-tmp-XXXXXX}, locked while
 * written; a killed tracer leaves it, and the next checkpoint into the directory removes it,
 * but never a locked one, a symbolic link or a FIFO of that name.  The tracer is killed while it
 * writes page data: every injected call is over by then, so the job must run on unharmed.
 */
class TempFileTest {
    static final String MEM_MIB = "128";
    static final long KILL_AT_BYTES = 16L << 20;

    private static List<String> engine(boolean noTmpfile, Path file, long pid) {
        List<String> command = new ArrayList<>(List.of(CheckpointHarness.program("soak_job").toString(), "--reap"));
        if (noTmpfile) {
            command.add(CheckpointHarness.program("no_tmpfile").toString());
        }
        command.addAll(List.of(CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString(),
                "checkpoint", "-f", file.toString(), Long.toString(pid)));
        return command;
    }

    private static CheckpointHarness.CommandResult checkpoint(boolean noTmpfile, Path file, long pid) throws Exception {
        return CheckpointHarness.run(engine(noTmpfile, file, pid), Duration.ofSeconds(60));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void withoutTmpfileStaleTempFilesGoAndOthersStay() throws Exception {
        try (var original = CheckpointHarness.Original.start("soak_job", "50", "200000", "16")) {
            Path dir = original.dir();
            Path file = dir.resolve("job.cryo");
            Path stale = Files.writeString(dir.resolve(".job.cryo.cryo-tmp-Stale1"), "left by a killed checkpoint");
            Path locked = Files.writeString(dir.resolve(".job.cryo.cryo-tmp-Locked"), "being written");
            Path outside = Files.writeString(dir.resolve("outside"), "keep me");
            Path link = Files.createSymbolicLink(dir.resolve(".x.cryo-tmp-Link12"), outside);
            Path fifo = dir.resolve(".y.cryo-tmp-Fifo12");
            assertEquals(0, CheckpointHarness.run(List.of("mkfifo", fifo.toString()), Duration.ofSeconds(10)).status());
            Process holder = new ProcessBuilder("flock", "-x", locked.toString(), "sleep", "60").start();
            try {
                awaitLocked(locked);
                var result = checkpoint(true, file, original.pid());
                assertEquals(0, result.status(), result.describe());
                org.cryo.api.Checkpointer.create().verify(file);
                Files.delete(file);
                assertFalse(Files.exists(stale), "the stale temporary file is still there");
                assertTrue(Files.exists(locked), "a locked temporary file was removed");
                assertTrue(Files.isSymbolicLink(link) && Files.readString(outside).equals("keep me"), "the link or its target changed");
                assertEquals(CheckpointTargetTest.S_IFIFO, CheckpointTargetTest.fileType(fifo), "the FIFO was removed");
            } finally {
                holder.destroyForcibly();
                holder.waitFor();
            }
            original.go();
            original.out().await(l -> l.equals("PASS"), Duration.ofSeconds(60));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTracerKilledOutrightLeavesNoNameWithTmpfile() throws Exception {
        killTracerWhileWritingPages(false);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTracerKilledOutrightLeavesATempFileTheNextCheckpointRemoves() throws Exception {
        killTracerWhileWritingPages(true);
    }

    private static void killTracerWhileWritingPages(boolean noTmpfile) throws Exception {
        try (var original = CheckpointHarness.Original.start("soak_job", "200", "200000", MEM_MIB)) {
            original.out().await(l -> l.startsWith("PROGRESS "), Duration.ofSeconds(60));
            Path dir = original.dir();
            Path file = dir.resolve("job.cryo");
            List<String> before = CheckpointHarness.listNames(dir);
            var job = InterruptedCheckpointTest.JobState.of(original.pid());

            Process reaper = new ProcessBuilder(engine(noTmpfile, file, original.pid())).redirectErrorStream(true).start();
            ProgramOutput said = new ProgramOutput(reaper.getInputStream(), "engine");
            ProcessHandle tracer = awaitTracerWriting(reaper, dir);
            tracer.destroyForcibly();
            assertTrue(reaper.waitFor(60, TimeUnit.SECONDS), "the engine did not end");
            said.awaitEnd(Duration.ofSeconds(5));
            assertEquals(1, reaper.exitValue(), "engine: " + said);
            assertTrue(said.toString().contains("killed by signal 9"), "engine: " + said);

            job.assertUnchanged("tracer killed: ");
            List<String> after = CheckpointHarness.listNames(dir);
            if (!noTmpfile) {
                assertEquals(before, after, "a tracer killed outright left something behind");
            } else {
                List<String> added = new ArrayList<>(after);
                added.removeAll(before);
                assertEquals(1, added.size(), "expected one temporary file, got " + after);
                assertTrue(added.get(0).matches("\\.job\\.cryo\\.cryo-tmp-[A-Za-z0-9]{6}"), added.get(0));
                var next = checkpoint(true, file, original.pid());
                assertEquals(0, next.status(), next.describe());
                List<String> tidy = new ArrayList<>(before);
                tidy.add("job.cryo");
                tidy.sort(null);
                assertEquals(tidy, CheckpointHarness.listNames(dir), "the next checkpoint left the temporary file");
                org.cryo.api.Checkpointer.create().verify(file);
            }
            original.go();
            original.out().await(l -> l.equals("PASS"), Duration.ofSeconds(60));
        }
    }

    /** The tracer (the front's child), once the file it writes in dir holds KILL_AT_BYTES: page data, all injection over. */
    private static ProcessHandle awaitTracerWriting(Process reaper, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String prefix = dir.toRealPath().toString() + "/";
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> tracer = reaper.children().flatMap(ProcessHandle::children).findFirst();
            if (tracer.isPresent() && writtenBy(tracer.get().pid(), prefix) >= KILL_AT_BYTES) {
                return tracer.get();
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the tracer never wrote " + KILL_AT_BYTES + " bytes");
    }

    /** Size of the largest file under prefix that pid holds open (0 if none). */
    private static long writtenBy(long pid, String prefix) {
        long most = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith(prefix)) {
                        most = Math.max(most, Files.size(fd));
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        } catch (IOException gone) {
            return 0;
        }
        return most;
    }

    private static void awaitLocked(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            var probe = CheckpointHarness.run(List.of("flock", "-n", "-x", file.toString(), "true"), Duration.ofSeconds(10));
            if (probe.status() != 0) {
                return;
            }
            Thread.sleep(20);
        }
        fail("flock never took the lock on " + file);
    }
}
