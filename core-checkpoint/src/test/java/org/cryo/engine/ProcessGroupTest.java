package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BLCR's --pgid: a shell pipeline run as a job of its own (a process group whose parent, the
 * shell, is not in it) is checkpointed as a group with the data in its pipe and comes back as
 * two processes of the restart, still connected (program pipeline_stage.c).
 */
class ProcessGroupTest {
    /** `bash -c '[set -m;] stage produce | stage consume [& wait]'` in a session of its own. */
    private static CheckpointHarness.Original startPipeline(Path dir, boolean ownGroup) throws Exception {
        String stage = CheckpointHarness.program("pipeline_stage").toString();
        String go = dir.resolve("go").toString();
        String pipeline = stage + " " + go + " produce | " + stage + " " + go + " consume";
        // job control (set -m) gives the pipeline a process group of its own
        String job = ownGroup ? "set -m; " + pipeline + " & wait" : pipeline;
        return CheckpointHarness.Original.startCommand(dir, List.of("setsid", "bash", "-c", job), Map.of());
    }

    /** Field n (0: state, 1: ppid, 2: pgrp, 3: session) of /proc/PID/stat after the command name. */
    private static long statField(long pid, int n) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[n]);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPipelineJobComesBackAsAGroup() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("pgid");
        try (var original = startPipeline(dir, true)) {
            long consumer = original.pid();
            long pgid = statField(consumer, 2);
            List<ProcessHandle> members = ProcessHandle.allProcesses()
                    .filter(p -> p.pid() == consumer || p.pid() == pgid).toList();
            Path file = dir.resolve("job.cryo");
            Checkpointer.create().checkpoint(pgid, CheckpointOptions.builder().file(file)
                    .scope(CheckpointOptions.Scope.PROCESS_GROUP).endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(members.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSessionComesBackWithItsShell() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("sid");
        // a session of its own: the shell and its pipeline, one tree under the shell
        try (var original = startPipeline(dir, false)) {
            long sid = statField(original.pid(), 3);
            List<ProcessHandle> members = ProcessHandle.of(sid).orElseThrow().descendants().toList();
            Path file = dir.resolve("session.cryo");
            Checkpointer.create().checkpoint(sid, CheckpointOptions.builder().file(file)
                    .scope(CheckpointOptions.Scope.SESSION).endAction(EndAction.KILL).build());
            original.kill();
            CheckpointHarness.awaitGone(sid);
            CheckpointHarness.awaitGone(members.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withNewPidsTheRelationsStay() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("newpids");
        try (var original = startPipeline(dir, false)) {
            long shell = statField(original.pid(), 1);
            Path file = dir.resolve("shell.cryo");
            // the original keeps running: every PID is taken, so the restart must take new ones
            Checkpointer.create().checkpoint(shell, CheckpointOptions.builder().file(file).build());
            var restored = original.restart(file, RestartOptions.builder().restorePid(false).inheritIo(false).build());
            ProcessHandle helper = restored.helper().toHandle();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<ProcessHandle> roots = List.of();
            // until the restart is through: the children are forked from the restored shell,
            // and are the shell's copies until their own image is in place
            while (System.nanoTime() < deadline && (roots.isEmpty() || roots.get(0).children()
                    .filter(p -> p.info().command().orElse("").endsWith("pipeline_stage")).count() < 2)) {
                roots = helper.children().toList();
                Thread.sleep(20);
            }
            assertEquals(1, roots.size(), "the restart should have one root, the shell");
            ProcessHandle newShell = roots.get(0);
            assertTrue(newShell.pid() != shell, "the shell kept its PID although it was taken");
            List<ProcessHandle> stages = newShell.children().toList();
            assertEquals(2, stages.size(), "the shell's two children, under their restored parent: " + stages);
            for (ProcessHandle p : stages) {
                assertTrue(p.info().command().orElse("").endsWith("pipeline_stage"), p.info().toString());
            }
            original.go();
            restored.assertPassed();
            original.out().await(line -> line.equals("PASS"), java.time.Duration.ofSeconds(20));
        }
    }
}
