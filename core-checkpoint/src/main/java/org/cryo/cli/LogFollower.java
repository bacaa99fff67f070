package org.cryo.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows the demo counter's log (tail -f), echoing each complete line indented, and remembers
 * which steps were printed before and after the restart.
 */
final class LogFollower implements AutoCloseable {
    private static final Pattern STEP = Pattern.compile("\\bstep\\s+(\\d{1,9})/");
    private static final long POLL_MS = 50;

    private final Path log;
    private final PrintWriter out;
    private final Thread poller;
    private long offset;
    private final StringBuilder partialLine = new StringBuilder();
    private int lastStep;
    private int firstStepAfterRestart = -1;
    private boolean restarted;
    private volatile boolean stopped;

    LogFollower(Path log, PrintWriter out) {
        this.log = log;
        this.out = out;
        this.poller = new Thread(this::pollUntilStopped, "cryo-demo-log");
        this.poller.setDaemon(true);
    }

    void start() {
        poller.start();
    }

    /** Reads and echoes whatever complete lines the log has now. */
    synchronized void poll() {
        if (!Files.exists(log)) {
            return;
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            if (length <= offset) {
                return;
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
            file.seek(offset);
            file.readFully(bytes);
            offset += bytes.length;
            consume(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the log is only for show; the next poll tries again
        }
    }

    synchronized void markRestart() {
        restarted = true;
    }

    synchronized int lastStep() {
        return lastStep;
    }

    /** The first step printed after {@link #markRestart()}, or -1. */
    synchronized int firstStepAfterRestart() {
        return firstStepAfterRestart;
    }

    private void consume(String text) {
        partialLine.append(text);
        int newline;
        while ((newline = partialLine.indexOf("\n")) >= 0) {
            String line = partialLine.substring(0, newline);
            partialLine.delete(0, newline + 1);
            out.println("    | " + line);
            recordStep(line);
        }
        out.flush();
    }

    private void recordStep(String line) {
        Matcher matcher = STEP.matcher(line);
        if (!matcher.find()) {
            return;
        }
        lastStep = Integer.parseInt(matcher.group(1));
        if (restarted && firstStepAfterRestart < 0) {
            firstStepAfterRestart = lastStep;
        }
    }

    private void pollUntilStopped() {
        while (!stopped) {
            poll();
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        poller.interrupt();
        poll();
    }
}
