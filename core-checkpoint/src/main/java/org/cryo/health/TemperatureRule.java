package org.cryo.health;

import java.time.Duration;
import java.util.Locale;

/**
 * A temperature against its sensor's limits and its trend.  The trend matters most: a fan or the
 * chilled water failing shows as a steady climb long before crit, and the node's jobs must be
 * moved while there is still time for a checkpoint ({@code checkpoint time x factor}) and the
 * scheduler's requeue.
 */
final class TemperatureRule {
    /** A slope needs samples at least this far apart, whatever the poll interval. */
    private static final long MIN_TREND_SPAN_MILLIS = 2000;

    private TemperatureRule() {
    }

    static Finding finding(HealthPolicy policy, Series s, long now, Duration checkpointTime) {
        double value = s.latest().value();
        double crit = s.crit();
        double max = s.max();
        Level level = Level.OK;
        String reason = null;
        if (!Double.isNaN(crit)) {
            if (value >= crit && policy.failAtCrit()) {
                return finding(Level.FAIL, s, String.format(Locale.ROOT, "%.1f °C, at or above crit %.1f °C (too late to checkpoint)",
                        value, crit));
            }
            if (value >= crit - policy.evacuateMargin()) {
                return finding(Level.EVACUATE, s, String.format(Locale.ROOT, "%.1f °C, within %.0f °C of crit %.1f °C", value,
                        policy.evacuateMargin(), crit));
            }
            if (value >= crit - policy.warnMargin()) {
                level = Level.WARN;
                reason = String.format(Locale.ROOT, "%.1f °C, within %.0f °C of crit %.1f °C", value, policy.warnMargin(), crit);
            }
            Finding trend = trend(policy, s, now, checkpointTime, value, crit);
            if (trend != null && trend.level().compareTo(level) > 0) {
                return trend;
            }
        }
        if (level == Level.OK && !Double.isNaN(max) && value >= max) {
            level = Level.WARN;
            reason = String.format(Locale.ROOT, "%.1f °C, at or above max %.1f °C", value, max);
        }
        return level == Level.OK ? null : finding(level, s, reason);
    }

    private static Finding trend(HealthPolicy policy, Series s, long now, Duration checkpointTime, double value, double crit) {
        double slope = s.slopePerSecond(policy.trendWindow().toMillis(), now, MIN_TREND_SPAN_MILLIS);
        if (Double.isNaN(slope) || slope <= 0) {
            return null;
        }
        double secondsToCrit = (crit - value) / slope;
        double lead = checkpointTime.toMillis() / 1000.0 * policy.trendFactor() + policy.requeueTime().toMillis() / 1000.0;
        Level level = secondsToCrit <= lead ? Level.EVACUATE : secondsToCrit <= 2 * lead ? Level.WARN : Level.OK;
        if (level == Level.OK) {
            return null;
        }
        return finding(level, s, String.format(Locale.ROOT,
                "%.1f °C rising %.2f °C/s: crit %.1f °C in %.0f s, %s the %.0f s an evacuation needs (%.0f x checkpoint %.1fs + requeue %ds)",
                value, slope, crit, secondsToCrit, level == Level.EVACUATE ? "within" : "within twice", lead,
                policy.trendFactor(), checkpointTime.toMillis() / 1000.0, policy.requeueTime().toSeconds()));
    }

    private static Finding finding(Level level, Series s, String reason) {
        return new Finding(level, Signal.TEMPERATURE, s.name(), Precursors.of(Signal.TEMPERATURE), reason);
    }
}
