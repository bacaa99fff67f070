package org.cryo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.cryo.testsupport.Waiting;
import org.junit.jupiter.api.Test;

/**
 * Every client Cryo runs (scontrol, qstat, ps on a node, the engine's helper) goes through
 * BoundedCommand: its output and status come back whole, whatever the command leaves behind,
 * and a command that hangs is ended at the deadline.
 */
class BoundedCommandTest {
    @Test
    void statusAndBothStreamsComeBack() throws Exception {
        BoundedCommand.Result r = run(30, "echo out; echo err >&2; exit 3");
        assertFalse(r.timedOut());
        assertEquals(3, r.status());
        assertEquals("out\nerr\n", r.output());
    }

    @Test
    void theTwoStreamsComeBackApartWhenAsked() throws Exception {
        BoundedCommand.Apart r = BoundedCommand.runApart(new ProcessBuilder(List.of("sh", "-c",
                "echo out; echo err >&2; echo more; exit 4")), 30);
        assertFalse(r.timedOut());
        assertEquals(4, r.status());
        assertEquals("out\nmore\n", r.stdout());
        assertEquals("err\n", r.stderr());
    }

    @Test
    void anOutputLargerThanAPipeBufferComesBackWhole() throws Exception {
        // a client that waited for its reader with a full pipe would never exit: 4 MiB is 64 pipe buffers
        BoundedCommand.Result r = run(60, "head -c 4194304 /dev/zero | tr '\\0' x");
        assertFalse(r.timedOut(), "the command was blocked on its output");
        assertEquals(0, r.status());
        assertEquals(4 << 20, r.output().length());
        assertFalse(r.truncated());
    }

    @Test
    void aProcessLeftHoldingTheOutputDoesNotHoldTheCaller() throws Exception {
        // as cr_restart --detach leaves the restored job with the restarter's stdout
        BoundedCommand.Result r = run(30, "sleep 120 & echo $!");
        assertEquals(0, r.status());
        long holder = Long.parseLong(r.output().strip());
        try {
            Optional<ProcessHandle> alive = ProcessHandle.of(holder);
            assertTrue(alive.isPresent() && alive.get().isAlive(), "returned while the holder still runs");
        } finally {
            new ProcessBuilder("kill", "-KILL", Long.toString(holder)).start().waitFor();
        }
    }

    @Test
    void aSilentHangIsEndedAtTheDeadline() throws Exception {
        BoundedCommand.Result r = run(1, "echo started; exec sleep 120");
        assertTrue(r.timedOut());
        assertEquals("started\n", r.output(), "what it printed before the deadline is kept");
        Waiting.waitUntil("the hung command to be gone", 10,
                () -> ProcessHandle.current().children().noneMatch(p -> p.info().command().orElse("").endsWith("sleep")));
    }

    private static BoundedCommand.Result run(long timeoutSeconds, String script) throws Exception {
        return BoundedCommand.run(new ProcessBuilder(List.of("sh", "-c", script)), timeoutSeconds);
    }
}
