package org.cryo.health;

/**
 * One value a monitor read.
 *
 * @param signal  what it measures
 * @param series  which sensor or counter, stable across polls ("edac mc0/dimm1 dimm_ce_count")
 * @param value   the value (a count, degrees Celsius, rpm)
 * @param max     the sensor's own warning limit (temperatures: temp*_max, a "hot"/"passive" trip point), NaN if none
 * @param crit    the sensor's own critical limit (temp*_crit, a "critical" trip point), NaN if none
 */
public record Reading(Signal signal, String series, double value, double max, double crit) {
    public static Reading counter(Signal signal, String series, long value) {
        return new Reading(signal, series, value, Double.NaN, Double.NaN);
    }

    public static Reading gauge(Signal signal, String series, double value) {
        return new Reading(signal, series, value, Double.NaN, Double.NaN);
    }
}
