package org.cryo.health;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The recent samples of one counter or sensor.  A counter that goes backwards was reset (a
 * reboot, a driver reload, an admin's reset): its history starts again from the new value, so the
 * drop is never read as a rise and the counts before the reset are never counted twice.
 */
public final class Series {
    /** One value at one time (milliseconds since the epoch). */
    public record Sample(long at, double value) {
    }

    private final Signal signal;
    private final String name;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private double max = Double.NaN;
    private double crit = Double.NaN;
    private boolean everPositive;

    public Series(Signal signal, String name) {
        this.signal = signal;
        this.name = name;
    }

    public Signal signal() {
        return signal;
    }

    public String name() {
        return name;
    }

    public double max() {
        return max;
    }

    public double crit() {
        return crit;
    }

    /** Whether the value was ever above 0 (a fan that spun). */
    public boolean everPositive() {
        return everPositive;
    }

    public List<Sample> samples() {
        return new ArrayList<>(samples);
    }

    public Sample latest() {
        return samples.peekLast();
    }

    /**
     * Adds a reading taken at {@code at}; returns a notice if it was a counter reset (its history
     * then starts again here), null otherwise.  Samples older than {@code keepMillis} are dropped,
     * except the newest one before that, the base of the oldest window.
     */
    public String add(Reading reading, long at, long keepMillis) {
        String notice = null;
        Sample last = samples.peekLast();
        if (last != null && at < last.at()) {
            return null;   // a clock step backwards: ignore the sample rather than reorder history
        }
        if (signal.counter() && last != null && reading.value() < last.value()) {
            notice = name + ": counter went back from " + (long) last.value() + " to " + (long) reading.value()
                    + " (reset: reboot or driver reload?); counting again from " + (long) reading.value();
            samples.clear();
        }
        samples.addLast(new Sample(at, reading.value()));
        max = reading.max();
        crit = reading.crit();
        everPositive |= reading.value() > 0;
        while (samples.size() > 2 && ((Sample) samples.toArray()[1]).at() < at - keepMillis) {
            samples.removeFirst();
        }
        return notice;
    }

    /**
     * How much the counter rose within the last {@code windowMillis} before {@code now}: the
     * latest value less the value at the start of the window (the newest sample at or before it,
     * else the oldest sample: what the counter held when it was first seen is not counted).
     */
    public double increaseWithin(long windowMillis, long now) {
        Sample latest = samples.peekLast();
        if (latest == null) {
            return 0;
        }
        Sample base = samples.peekFirst();
        for (Sample sample : samples) {
            if (sample.at() <= now - windowMillis) {
                base = sample;
            }
        }
        return Math.max(0, latest.value() - base.value());
    }

    /**
     * The least-squares slope of the samples within the last {@code windowMillis}, in units per
     * second; NaN with fewer than 3 samples or less than {@code minSpanMillis} between them.
     */
    public double slopePerSecond(long windowMillis, long now, long minSpanMillis) {
        List<Sample> recent = samples.stream().filter(s -> s.at() >= now - windowMillis).toList();
        if (recent.size() < 3 || recent.get(recent.size() - 1).at() - recent.get(0).at() < minSpanMillis) {
            return Double.NaN;
        }
        double t0 = recent.get(0).at();
        double sumT = 0, sumV = 0, sumTT = 0, sumTV = 0;
        for (Sample s : recent) {
            double t = (s.at() - t0) / 1000.0;
            sumT += t;
            sumV += s.value();
            sumTT += t * t;
            sumTV += t * s.value();
        }
        int n = recent.size();
        double denominator = n * sumTT - sumT * sumT;
        return denominator == 0 ? Double.NaN : (n * sumTV - sumT * sumV) / denominator;
    }

    /** Restores a sample from saved state (no reset detection: it was done when it was taken). */
    void restore(Sample sample, double max, double crit, boolean everPositive) {
        samples.addLast(sample);
        this.max = max;
        this.crit = crit;
        this.everPositive |= everPositive;
    }
}
