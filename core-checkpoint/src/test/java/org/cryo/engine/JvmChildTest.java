package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checkpointing a direct child of this JVM through the API.  The JVM's process reaper sits in
 * waitpid(pid, 0) on every child, and for a traced child that call also returns ptrace stops:
 * the engine must not lose them to it (e.g. by tracing from a separate process), and the JVM
 * must not think the child ended.
 */
class JvmChildTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void directChildOfTheJvmCanBeCheckpointed() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("jvm_child");
        Process child = new ProcessBuilder(CheckpointHarness.program("baseline").toString(),
                dir.resolve("go").toString()).start();
        try {
            var out = new ProgramOutput(child.getInputStream(), "baseline");
            String ready = out.await(l -> l.startsWith("READY "), CheckpointHarness.READY_TIMEOUT);
            assertEquals(child.pid(), Long.parseLong(ready.substring(6)));
            Path context = dir.resolve("context.cryo");
            Checkpointer.create().checkpoint(child.pid(), CheckpointOptions.builder().file(context).build());
            Thread.sleep(200);
            assertTrue(child.isAlive(), "the JVM saw its child end during the checkpoint (exit "
                    + (child.isAlive() ? "" : child.exitValue()) + ")");
            child.destroyForcibly();
            child.waitFor();
            var restored = new CheckpointHarness.Restored(Checkpointer.create().restart(context,
                    RestartOptions.builder().inheritIo(false).build()));
            Files.createFile(dir.resolve("go"));
            restored.assertPassed();
        } finally {
            child.destroyForcibly();
            CheckpointHarness.deleteTree(dir);
        }
    }
}
