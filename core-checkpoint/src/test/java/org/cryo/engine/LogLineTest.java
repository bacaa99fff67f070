package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryo.testsupport.Commands;
import org.cryo.testsupport.Waiting;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: every checkpoint and restart (and a failed one) is one syslog datagram and one
 * line of log.file, naming the job, the process and the context file; none of it reaches the
 * terminal.  A syslog socket of the test's own (log.syslog.socket) stands for /dev/log.  The
 * checkpoint takes its compression from checkpoint.compression (a bad value is refused by name).
 */
class LogLineTest {
    private static final String RECEIVER = "import socket,sys\n"
            + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(60)\n"
            + "print('bound',flush=True)\n"
            + "for _ in range(int(sys.argv[2])): print(s.recv(4096).decode(),flush=True)\n";

    @Test
    void checkpointRestartAndFailureAreLoggedWithJobProcessAndFile() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("logline");
        Path socket = dir.resolve("log.sock");
        Path logFile = dir.resolve("cryo.log");
        Map<String, String> env = Map.of("CRYO_LOG_SOCKET", socket.toString(), "CRYO_LOG_FILE", logFile.toString(),
                "SLURM_JOB_ID", "4242");
        Process receiver = new ProcessBuilder("python3", "-c", RECEIVER, socket.toString(), "3").redirectErrorStream(true).start();
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        long restored = -1;
        try {
            BufferedReader datagrams = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("bound", datagrams.readLine());
            Path context = dir.resolve("ctx");
            String cr = CheckpointHarness.launcher("cr_checkpoint").toString();
            List<String> strip = List.of("CRYO_JOB_ID", "PBS_JOBID", "JOB_ID");

            Commands.Result badCompression = Commands.execute(dir, List.of(cr, "-f", "ctx", Long.toString(sleeper.pid())),
                    Map.of("CRYO_COMPRESSION", "lz4"), strip, 120);
            assertEquals("cr_checkpoint: checkpoint.compression = lz4 in cryo.conf (or $CRYO_COMPRESSION): not none, zstd"
                    + " or zstd:LEVEL", badCompression.output().strip(), "the setting is read, and checked");
            Map<String, String> zstd = new java.util.HashMap<>(env);
            zstd.put("CRYO_COMPRESSION", "zstd:3");
            Commands.Result ok = Commands.execute(dir, List.of(cr, "--kill", "-f", "ctx", Long.toString(sleeper.pid())), zstd, strip, 120);
            assertEquals(0, ok.status(), ok.output());
            assertEquals("", ok.output(), "nothing on the terminal");
            Commands.Result bad = Commands.execute(dir, List.of(cr, "-f", "ctx.none", "4000000"), env, strip, 120);
            assertEquals(1, bad.output().strip().lines().count(), "the one-line error only: " + bad.output());
            Commands.Result back = Commands.execute(dir, List.of(CheckpointHarness.launcher("cr_restart").toString(), "--detach",
                    context.toString()), env, strip, 120);
            assertEquals(0, back.status(), back.output());
            restored = sleeper.pid();

            List<String> received = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                received.add(datagrams.readLine());
            }
            String job = "job=4242 pid=" + sleeper.pid() + " file=" + context;
            assertTrue(received.get(0).matches("<13>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d cryo\\[\\d+\\]: cr_checkpoint: "
                    + java.util.regex.Pattern.quote(job) + " checkpoint ok: \\d+ bytes.*"), received.get(0));
            assertTrue(received.get(1).startsWith("<11>") && received.get(1).contains("job=4242 pid=4000000 file="
                    + dir.resolve("ctx.none") + " checkpoint failed: "), received.get(1));
            assertTrue(received.get(2).startsWith("<13>") && received.get(2).endsWith("cr_restart: " + job + " restart ok"),
                    received.get(2));
            List<String> lines = Files.readAllLines(logFile);
            assertEquals(3, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains(" cryo[") && lines.get(0).contains(job + " checkpoint ok"), lines.get(0));
            assertTrue(lines.get(2).endsWith(job + " restart ok"), lines.get(2));
        } finally {
            sleeper.destroyForcibly();
            receiver.destroyForcibly();
            if (restored > 0) {
                new ProcessBuilder("kill", "-KILL", Long.toString(restored)).start().waitFor();
                CheckpointHarness.awaitGone(restored);
            }
            Waiting.waitUntil("the receiver to end", 30, () -> !receiver.isAlive());
            CheckpointHarness.deleteTree(dir);
        }
    }
}
