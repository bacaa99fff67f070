package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * A job started in a PID namespace of its own (cr_run --pid-ns, i.e. `cryo-engine run --pid-ns`)
 * is restored into a new one: its PIDs come back inside it and can never collide, so the same
 * context file can even be restarted twice at once.
 */
class PidNamespaceTest {
    private static Path helper() {
        return CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine");
    }

    /** Starts program under `cryo-engine run --pid-ns`; returns the namespace init's PID as seen here. */
    private static long startInNamespace(CheckpointHarness.Original[] holder, String program) throws Exception {
        Path dir = CheckpointHarness.newWorkDir("pidns-" + program);
        Path pidFile = dir.resolve("init.pid");
        List<String> command = new ArrayList<>(List.of(helper().toString(), "run", "--pid-ns", "--pid-file",
                pidFile.toString(), "--", CheckpointHarness.program(program).toString(), dir.resolve("go").toString()));
        holder[0] = CheckpointHarness.Original.startCommand(dir, command, Map.of());
        // the program reports its PID inside the namespace; the init's outer PID is in the file
        assertTrue(holder[0].pid() < 100, "the program's own PID " + holder[0].pid() + " is not a namespace PID");
        return Long.parseLong(Files.readString(pidFile).trim());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTreeInItsOwnNamespaceComesBackInANewOne() throws Exception {
        CheckpointHarness.Original[] holder = new CheckpointHarness.Original[1];
        long init = startInNamespace(holder, "tree");
        try (var original = holder[0]) {
            Path file = original.dir().resolve("pidns.cryo");
            Checkpointer.create().checkpoint(init, CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theSameContextRestartsTwiceAtOnce() throws Exception {
        CheckpointHarness.Original[] holder = new CheckpointHarness.Original[1];
        long init = startInNamespace(holder, "threads");
        try (var original = holder[0]) {
            Path file = original.dir().resolve("pidns.cryo");
            Checkpointer.create().checkpoint(init, CheckpointOptions.builder().file(file).build());
            // the original still runs, with the same PIDs inside its namespace: no collision
            var first = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            var second = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            first.assertPassed();
            second.assertPassed();
            original.out().await(line -> line.equals("PASS"), Duration.ofSeconds(20));   // and the original too
        }
    }
}
