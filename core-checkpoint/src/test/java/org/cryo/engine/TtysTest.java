package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Terminals (programs pty_pair.c, pty_refused.c): pty pairs inside the tree come back with their
 * termios, window size, packet mode and lock, at the same /dev/pts index where it is free; a
 * session's controlling terminal, its foreground group and /dev/tty come back with them.  A pty
 * with bytes queued, a slave whose master is outside the tree (other than a root's stdin, stdout
 * and stderr, which become cr_restart's) and /dev/tty naming an outside terminal are refused at
 * checkpoint time, the job left running untouched.
 */
class TtysTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPtyPairInTheTreeComesBackWithItsSession() throws Exception {
        var restored = CheckpointHarness.checkpointTreeKillRestartAndPass("pty_pair");
        String[] index = restored.out().lines().stream().filter(l -> l.startsWith("INDEX ")).findFirst()
                .orElseThrow().split(" ");
        boolean relocated = restored.err().lines().stream().anyMatch(l -> l.contains("is taken: its pty comes back as"));
        if (!relocated) {
            assertEquals(index[1], index[2], "the pty's /dev/pts index, without a warning that it was taken; "
                    + restored.describe());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRootLeadingASessionGetsItsControllingTerminalBack() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("pty_pair", "leader");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withoutItsSessionTheRootsDevTtyIsRefusedAtRestart() throws Exception {
        try (var original = CheckpointHarness.Original.start("pty_pair", "leader")) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = original.dir().resolve("pty.cryo");
            Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file)
                    .endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            // in cr_restart's session its /dev/tty would be cr_restart's terminal (or none): never silently
            String message = CheckpointHarness.assertRestartRefused(original, file,
                    RestartOptions.builder().restoreSid(false).inheritIo(false).build());
            assertTrue(message.contains("was /dev/tty") && message.contains("--no-restore-sid"), message);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPtyWhoseIndexIsTakenComesBackAtAnotherAndSaysSo() throws Exception {
        try (var original = CheckpointHarness.Original.start("pty_pair")) {
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = original.dir().resolve("pty.cryo");
            Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file)
                    .endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            String index = original.out().lines().stream().filter(l -> l.startsWith("PTY ")).findFirst()
                    .orElseThrow().substring(4);
            // another process takes the index (and every one below it) before the restart
            Path holdGo = original.dir().resolve("hold-go");
            Process holder = new ProcessBuilder(CheckpointHarness.program("pty_refused").toString(), holdGo.toString(),
                    "hold", index).start();
            try {
                var out = new ProgramOutput(holder.getInputStream(), "holder");
                String held = out.await(l -> l.startsWith("HOLD "), Duration.ofSeconds(10));
                assertEquals("HOLD " + index, held, "the holder could not take /dev/pts/" + index);
                var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
                original.go();
                restored.assertPassed();
                assertTrue(restored.err().lines().stream().anyMatch(l -> l.contains("/dev/pts/" + index
                        + " is taken: its pty comes back as /dev/pts/")), restored.describe());
                String[] moved = restored.out().lines().stream().filter(l -> l.startsWith("INDEX ")).findFirst()
                        .orElseThrow().split(" ");
                assertEquals(index, moved[1]);
                assertTrue(!moved[2].equals(index), "the pty came back at its taken index: " + restored.describe());
            } finally {
                Files.createFile(holdGo);
                holder.waitFor(10, TimeUnit.SECONDS);
                holder.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aNormalUsersRestartBringsItsPtysBack() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("ttys-unpriv");
        try {
            // in a user and PID namespace of the job's own: the ptys are the node's, the sessions the namespace's
            var result = UserScript.in(dir)
                    .startJob(CheckpointHarness.program("pty_pair") + " " + dir + "/go leader")
                    .checkpointAndKill("job.cryo", "$J $(cat /proc/$J/task/*/children) $(ps -o pid= -s $J)")
                    .then("R=$($engine restore --detach -v job.cryo) || exit 4", "touch go")
                    .printResult()
                    .run(Duration.ofSeconds(80));
            String all = result.describe();
            UserScript.assertPassed(result);
            assertTrue(result.err().stream().anyMatch(l -> l.contains("namespace of the job's own")), all);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCheckpointLeavesTheJobsTerminalsAsTheyWere() throws Exception {
        // the checkpoint looks into every pty (termios, queues): the running job must not notice
        try (var original = CheckpointHarness.Original.start("pty_pair")) {
            var file = original.checkpoint();
            assertTrue(Files.size(file) > 0);
            original.goAndAssertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSessionLeaderOnAnOutsideTerminalComesBackOnTheRestartsStdioWithoutOne() throws Exception {
        try (var original = CheckpointHarness.Original.start("pty_refused", "stdio")) {
            Path file = original.dir().resolve("stdio.cryo");
            Checkpointer.create().checkpoint(original.pid(), CheckpointOptions.builder().file(file)
                    .endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(original.pid());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            assertTrue(restored.err().lines().stream().anyMatch(l -> l.contains("whose controlling terminal")
                    && l.contains("was outside the checkpoint: it comes back without one")), restored.describe());
        }
    }

    /**
     * Output stopped by ^S (IXON) or tcflow(TCOOFF) comes back stopped, with the bytes queued
     * before the stop in order and the write the stop held back still held (program
     * pty_stopped.c): ^Q resumes the first, only TCOON the second; a checkpoint that leaves the
     * job running leaves both stopped.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stoppedOutputComesBackStoppedWithItsQueuedBytes() throws Exception {
        CheckpointHarness.checkpointTreeKillRestartAndPass("pty_stopped");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCheckpointLeavesStoppedOutputStopped() throws Exception {
        try (var original = CheckpointHarness.Original.start("pty_stopped")) {
            var file = original.checkpoint();
            assertTrue(Files.size(file) > 0);
            original.goAndAssertPassed();
        }
    }

    /** In packet mode the stop cannot be told apart without taking the master's status bytes: refused. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stoppedOutputInPacketModeIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("(in packet mode), whose output is stopped", "pty_stopped",
                "packet");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void bytesQueuedInAPtyAreRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("that its slave has not read yet: refused", "pty_refused",
                "queued");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSlaveWhoseMasterIsOutsideIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("a terminal whose master is outside the checkpoint: refused",
                "pty_refused", "outside");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void devTtyOfAnOutsideTerminalIsRefused() throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched("is outside the checkpoint: refused", "pty_refused", "devtty");
    }

    /**
     * A line being typed in canonical mode, not yet ended, comes back in the slave's line
     * discipline, erasable and not echoed again (program pty_line.c); a checkpoint that leaves the
     * job running leaves the line as it was.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLineBeingTypedComesBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("pty_line");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCheckpointLeavesALineBeingTypedAsItWas() throws Exception {
        try (var original = CheckpointHarness.Original.start("pty_line")) {
            var file = original.checkpoint();
            assertTrue(Files.size(file) > 0);
            original.goAndAssertPassed();
        }
    }
}
