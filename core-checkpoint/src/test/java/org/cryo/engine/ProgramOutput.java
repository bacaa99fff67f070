package org.cryo.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/** The lines a process writes to one stream, collected by a daemon thread as they come. */
final class ProgramOutput {
    private final List<String> lines = new ArrayList<>();
    private boolean closed;

    ProgramOutput(InputStream stream, String name) {
        Thread reader = new Thread(() -> read(stream), "output of " + name);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(InputStream stream) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the stream was closed under us: treat as end of output
        } finally {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
        }
    }

    /** The first line (from the start) matching {@code match}, waiting up to {@code timeout}. */
    synchronized String await(Predicate<String> match, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int seen = 0; ; ) {
            for (; seen < lines.size(); seen++) {
                if (match.test(lines.get(seen))) {
                    return lines.get(seen);
                }
            }
            long left = deadline - System.nanoTime();
            if (closed || left <= 0) {
                throw new TimeoutException((closed ? "output ended" : "timed out") + " without the expected line; got "
                        + lines);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits until the stream ends (the writer and all its inheritors are gone). */
    synchronized boolean awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public synchronized String toString() {
        return String.join("\n", lines);
    }
}
