package org.cryo.site;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The activity journal: health decisions and migrations (from the agents' journals), the
 * console's own actions, and the progress of checkpoints in flight, kept in memory (the last
 * {@link #KEEP}) and pushed to every page listening on {@code GET /api/activity} as server-sent
 * events ({@code event: decision|action|progress}, {@code id}, {@code data: JSON}).
 */
final class Activity {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int KEEP = 200;

    private final Deque<ObjectNode> recent = new ArrayDeque<>();
    private final List<OutputStream> listeners = new CopyOnWriteArrayList<>();
    private long nextId = 1;

    /** Records an event of {@code kind} and sends it to every listener; a listener that went away is dropped. */
    void publish(String kind, ObjectNode data) {
        String frame;
        synchronized (this) {
            data.put("kind", kind);
            data.put("id", nextId++);
            if (!kind.equals("progress")) {
                recent.addLast(data);
                while (recent.size() > KEEP) {
                    recent.removeFirst();
                }
            }
            frame = frame(kind, data);
        }
        for (OutputStream out : listeners) {
            send(out, frame);
        }
    }

    synchronized List<ObjectNode> recent() {
        return new ArrayList<>(recent);
    }

    /** Starts a stream: every recent event first, then each new one as it comes. */
    void listen(OutputStream out) {
        List<ObjectNode> backlog;
        synchronized (this) {
            backlog = new ArrayList<>(recent);
            listeners.add(out);
        }
        StringBuilder first = new StringBuilder("retry: 2000\n\n");
        backlog.forEach(e -> first.append(frame(e.get("kind").asText(), e)));
        send(out, first.toString());
    }

    /** A comment line now and then keeps proxies from closing an idle stream (and finds closed ones). */
    void keepAlive() {
        for (OutputStream out : listeners) {
            send(out, ": keep-alive\n\n");
        }
    }

    int listeners() {
        return listeners.size();
    }

    private void send(OutputStream out, String frame) {
        try {
            synchronized (out) {
                out.write(frame.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException gone) {
            listeners.remove(out);
            try {
                out.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private static String frame(String kind, ObjectNode data) {
        try {
            return "event: " + kind + "\nid: " + data.path("id").asLong() + "\ndata: " + JSON.writeValueAsString(data) + "\n\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
