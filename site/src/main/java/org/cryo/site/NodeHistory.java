package org.cryo.site;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recent readings of one node's series, as the console sampled them from its agent (the agent
 * serves only the latest value): for the small charts of the cluster page.  Samples older than the
 * longest window shown are dropped; a series keeps at most {@link #MAX_SAMPLES}.
 */
final class NodeHistory {
    static final int MAX_SAMPLES = 240;

    record Sample(long at, double value) {
    }

    /** One series: its signal (the policy's key) and name, as the agent names them. */
    record Key(String signal, String series) {
    }

    private final Map<Key, Deque<Sample>> series = new LinkedHashMap<>();

    synchronized void add(Key key, long at, double value, long keepMillis) {
        Deque<Sample> samples = series.computeIfAbsent(key, k -> new ArrayDeque<>());
        Sample last = samples.peekLast();
        if (last != null && at <= last.at()) {
            return;
        }
        samples.addLast(new Sample(at, value));
        while (samples.size() > MAX_SAMPLES || (samples.size() > 2 && samples.peekFirst().at() < at - keepMillis)) {
            samples.removeFirst();
        }
    }

    synchronized Map<Key, List<Sample>> all() {
        Map<Key, List<Sample>> copy = new LinkedHashMap<>();
        series.forEach((k, v) -> copy.put(k, new ArrayList<>(v)));
        return copy;
    }

    /**
     * What a counter rose within {@code windowMillis} before each sample (the policy's measure),
     * counting from the oldest sample seen when the window reaches further back.  A drop (a reset)
     * starts the counting again.
     */
    static List<Sample> risesWithin(List<Sample> samples, long windowMillis) {
        List<Sample> rises = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (i > 0 && s.value() < samples.get(i - 1).value()) {
                start = i;   // the counter was reset
            }
            int base = start;
            for (int j = start; j <= i; j++) {
                if (samples.get(j).at() <= s.at() - windowMillis) {
                    base = j;
                }
            }
            rises.add(new Sample(s.at(), Math.max(0, s.value() - samples.get(base).value())));
        }
        return rises;
    }
}
