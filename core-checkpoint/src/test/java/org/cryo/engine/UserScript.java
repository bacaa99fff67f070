package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A shell script the unprivileged tests run as {@link UnprivilegedUser#NAME}, under
 * {@code soak_job --reap} so that whatever the script leaves behind is reaped at once. The
 * script runs in a directory the user may write, with {@code $engine} (cryo-engine) and
 * {@code $restart} (cr_restart) set; the steps below are the ones every such test repeats.
 */
final class UserScript {
    private final Path dir;
    private final List<String> lines = new ArrayList<>();

    private UserScript(Path dir) {
        this.dir = dir;
        lines.add("set -u");
        lines.add("cd " + dir);
        lines.add("engine=" + CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine"));
        lines.add("restart=" + CheckpointHarness.launcher("cr_restart"));
    }

    /** A script in {@code dir}, which becomes writable by the test user. */
    static UserScript in(Path dir) throws Exception {
        UnprivilegedUser.ensure();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return new UserScript(dir);
    }

    /** Starts {@code command} in the background ($J), its output in job.out, and waits for its READY line. */
    UserScript startJob(String command) {
        return startJob(command, "READY");
    }

    /** The same, waiting for a line containing {@code ready}. */
    UserScript startJob(String command, String ready) {
        return then(command + " > job.out 2>&1 &",
                "J=$!",
                "for i in $(seq 400); do grep -q '" + ready + "' job.out && break; sleep 0.05; done");
    }

    /** cryo-engine checkpoint --kill of $J to {@code file} (exit 3 if it fails), then waits until each of {@code pids} is gone. */
    UserScript checkpointAndKill(String file, String pids) {
        return then("K=\"" + pids + "\"",
                "$engine checkpoint --kill -f " + file + " $J || exit 3",
                "wait $J",
                "for p in $K; do for i in $(seq 400); do [ -e /proc/$p ] || break; sleep 0.05; done; done");
    }

    /** Waits until job.out has PASS or FAIL, then prints it. */
    UserScript printResult() {
        return then("for i in $(seq 400); do grep -q -e PASS -e FAIL job.out && break; sleep 0.05; done",
                "sleep 0.2; cat job.out");
    }

    UserScript then(String... steps) {
        lines.addAll(List.of(steps));
        return this;
    }

    /** Writes the script and runs it as the test user. */
    CheckpointHarness.CommandResult run(Duration timeout) throws Exception {
        Path script = dir.resolve("run.sh");
        lines.add("");
        Files.writeString(script, String.join("\n", lines));
        return CheckpointHarness.run(UnprivilegedUser.as(CheckpointHarness.program("soak_job").toString(),
                "--reap", "sh", script.toString()), timeout);
    }

    /** Exit status 0, a PASS line and no FAIL line. */
    static void assertPassed(CheckpointHarness.CommandResult result) {
        String all = result.describe();
        assertEquals(0, result.status(), all);
        assertTrue(result.out().contains("PASS"), all);
        assertTrue(result.out().stream().noneMatch(l -> l.startsWith("FAIL")), all);
    }
}
