package org.cryo.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The activity page's progress bar: a process named as the engine's helper ({@code cryo-engine})
 * writing a nameless file (O_TMPFILE) into a job's catalog directory, as the engine writes a
 * context file, is seen in flight with the bytes written so far and the previous file's size as
 * the estimated total; the same file in a directory that is no job's is not.  The agent's report
 * of it counts from its first sighting.
 */
class InFlightTest {
    @TempDir
    Path work;

    @Test
    void aContextFileBeingWrittenIsSeenWithItsBytesSoFar() throws Exception {
        Path job = Files.createDirectories(work.resolve("catalog/7"));
        Path other = Files.createDirectories(work.resolve("elsewhere"));
        Path ready = work.resolve("ready");
        String writer = "import ctypes, os, sys, time\n"
                + "ctypes.CDLL(None).prctl(15, b'cryo-engine', 0, 0, 0)\n"
                + "for d in sys.argv[1:3]:\n"
                + "    fd = os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600)\n"
                + "    os.write(fd, b'x' * 12345)\n"
                + "open(sys.argv[3], 'w').close()\n"
                + "time.sleep(60)\n";
        Process helper = new ProcessBuilder("/usr/bin/python3", "-c", writer, job.toString(), other.toString(), ready.toString())
                .redirectErrorStream(true).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(ready) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<InFlight.Progress> found = InFlight.scan(Map.of(job, "7"), Map.of(job, 50_000L));
            assertEquals(List.of(new InFlight.Progress("7", job, 12345, 50_000)), found);
            InFlightCheckpoints agent = new InFlightCheckpoints();
            List<InFlightCheckpoints.Report> first = agent.report(Map.of(job, "7"), Map.of(job, 50_000L), 1_000);
            assertEquals(List.of(new InFlightCheckpoints.Report("7", 12345, 50_000, 0, 0, -1)), first,
                    "no rate before a second sighting");
            List<InFlightCheckpoints.Report> later = agent.report(Map.of(job, "7"), Map.of(job, 50_000L), 3_000);
            assertEquals(2_000, later.get(0).elapsedMillis(), "counted from the first sighting");
        } finally {
            helper.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theRateAndTimeLeftCountFromTheFirstSighting() {
        InFlight.Progress p = new InFlight.Progress("7", Path.of("/c/7"), 30_000, 50_000);
        assertEquals(new InFlightCheckpoints.Report("7", 30_000, 50_000, 2_000, 10_000.0, 2_000),
                InFlightCheckpoints.reportOf(p, 1_000, 10_000, 3_000), "20,000 bytes in 2 s, 20,000 to go");
        assertEquals(-1, InFlightCheckpoints.reportOf(new InFlight.Progress("7", Path.of("/c/7"), 30_000, -1), 1_000, 10_000,
                3_000).leftMillis(), "no total: no time left");
    }
}
