package org.cryo.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryo.health.monitor.HealthMonitor;
import org.cryo.health.monitor.SysfsTree;

/**
 * A node's health over time: the monitors' readings kept as {@link Series}, the policy applied to
 * them, and the level held with hysteresis (it rises at once, and falls only after
 * {@link HealthPolicy#hysteresisPolls} polls in a row at a lower level, so a node hovering at a
 * limit does not flap between drained and resumed).
 */
public final class NodeHealth {
    private final HealthPolicy policy;
    private final SysfsTree tree;
    private final List<HealthMonitor> monitors;
    private final Map<String, Series> series = new LinkedHashMap<>();
    private final List<String> missing = new ArrayList<>();
    private Level level = Level.OK;
    private int lowerPolls;
    private Verdict last;

    public NodeHealth(HealthPolicy policy, SysfsTree tree) {
        this.policy = policy;
        this.tree = tree;
        this.monitors = Monitors.of(policy);
    }

    public HealthPolicy policy() {
        return policy;
    }

    public SysfsTree tree() {
        return tree;
    }

    /** The sources the node does not have (each said once as a notice). */
    public synchronized List<String> missing() {
        return List.copyOf(missing);
    }

    public synchronized Map<String, Series> series() {
        return new LinkedHashMap<>(series);
    }

    public synchronized Verdict last() {
        return last;
    }

    /** Reads every monitor now and applies the policy; {@code checkpointTime}: the node's jobs' estimate. */
    public synchronized Verdict poll(long now, Duration checkpointTime) {
        int count = 0;
        missing.clear();
        for (HealthMonitor monitor : monitors) {
            if (!monitor.present(tree)) {
                missing.add(monitor.name());
                tree.notices().once("missing " + monitor.name(), monitor.name() + ": not on this node (" + monitor.where()
                        + "); not monitored");
                continue;
            }
            for (Reading reading : safeRead(monitor)) {
                record(reading, now);
                count++;
            }
        }
        return evaluate(now, checkpointTime, count);
    }

    /** A monitor is never allowed to take the agent down: anything it throws is a notice. */
    private List<Reading> safeRead(HealthMonitor monitor) {
        try {
            return monitor.read(tree);
        } catch (RuntimeException e) {
            tree.notices().value(monitor.name() + ": failed (" + e + "); ignored this poll");
            return List.of();
        }
    }

    void record(Reading reading, long now) {
        Series s = series.computeIfAbsent(reading.signal() + " " + reading.series(),
                key -> new Series(reading.signal(), reading.series()));
        String notice = s.add(reading, now, policy.retention().toMillis());
        if (notice != null) {
            tree.notices().value(notice);
        }
    }

    synchronized Verdict evaluate(long now, Duration checkpointTime, int readings) {
        List<Finding> findings = new ArrayList<>();
        for (Series s : series.values()) {
            if (s.latest() == null) {
                continue;
            }
            Finding finding = s.signal().counter() ? counterFinding(s, now)
                    : s.signal() == Signal.TEMPERATURE ? TemperatureRule.finding(policy, s, now, checkpointTime)
                    : fanFinding(s);
            if (finding != null) {
                findings.add(finding);
            }
        }
        Level raw = findings.stream().map(Finding::level).reduce(Level.OK, Level::max);
        applyHysteresis(raw);
        last = new Verdict(level, raw, findings, now, readings);
        return last;
    }

    private void applyHysteresis(Level raw) {
        if (raw.compareTo(level) >= 0) {
            level = raw;
            lowerPolls = 0;
        } else if (++lowerPolls >= policy.hysteresisPolls()) {
            level = raw;
            lowerPolls = 0;
        }
    }

    private Finding counterFinding(Series s, long now) {
        HealthPolicy.CounterRule rule = policy.counter(s.signal());
        double increase = s.increaseWithin(rule.window().toMillis(), now);
        Level found = rule.levelFor(increase);
        if (found == Level.OK) {
            return null;
        }
        return new Finding(found, s.signal(), s.name(), Precursors.of(s.signal()),
                String.format(java.util.Locale.ROOT, "%d %s within %s (%s at %d)", (long) increase, Precursors.unit(s.signal()),
                        HealthPolicy.format(rule.window()), found.label(), rule.limitOf(found)));
    }

    private Finding fanFinding(Series s) {
        if (policy.warnWhenFanStopped() && s.latest().value() == 0 && s.everPositive()) {
            return new Finding(Level.WARN, Signal.FAN, s.name(), Precursors.of(Signal.FAN), "stopped (0 rpm; it was spinning)");
        }
        return null;
    }

    /** Hysteresis state, for saving between runs of a one-shot check. */
    public synchronized Level heldLevel() {
        return level;
    }

    public synchronized int lowerPolls() {
        return lowerPolls;
    }

    synchronized void restoreLevel(Level held, int polls) {
        level = held;
        lowerPolls = polls;
    }

    synchronized Series restoreSeries(Signal signal, String name) {
        return series.computeIfAbsent(signal + " " + name, key -> new Series(signal, name));
    }
}
