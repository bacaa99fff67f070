package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * Thermal zones (Documentation/ABI/testing/sysfs-class-thermal): {@code /sys/class/thermal/thermal_zoneN/temp}
 * in millidegrees Celsius, and its trip points {@code trip_point_M_temp} with
 * {@code trip_point_M_type}: the lowest {@code critical} one is the zone's crit (the kernel shuts
 * the node down there), the lowest {@code hot} or {@code passive} one its max (throttling starts).
 */
public final class ThermalMonitor implements HealthMonitor {
    static final String CLASS = "/sys/class/thermal";

    @Override
    public String name() {
        return "thermal";
    }

    @Override
    public String where() {
        return CLASS;
    }

    @Override
    public boolean present(SysfsTree tree) {
        return !tree.list(tree.path(CLASS), "thermal_zone[0-9]*").isEmpty();
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path zone : tree.list(tree.path(CLASS), "thermal_zone[0-9]*")) {
            OptionalDouble temp = tree.integer(zone.resolve("temp"));
            if (temp.isEmpty()) {
                continue;
            }
            double max = Double.NaN;
            double crit = Double.NaN;
            for (Path type : tree.list(zone, "trip_point_[0-9]*_type")) {
                Path tripTemp = zone.resolve(type.getFileName().toString().replace("_type", "_temp"));
                var kind = tree.text(type);
                if (kind.isEmpty() || !Files.exists(tripTemp)) {
                    continue;
                }
                OptionalDouble value = tree.integer(tripTemp);
                if (value.isEmpty() || value.getAsDouble() <= 0) {
                    continue;   // a disabled trip point reads 0 or a negative sentinel
                }
                double degrees = value.getAsDouble() / 1000;
                switch (kind.get()) {
                    case "critical" -> crit = Double.isNaN(crit) ? degrees : Math.min(crit, degrees);
                    case "hot", "passive" -> max = Double.isNaN(max) ? degrees : Math.min(max, degrees);
                    default -> { }
                }
            }
            String type = Files.exists(zone.resolve("type"))
                    ? tree.text(zone.resolve("type")).filter(t -> t.matches("[\\w.-]{1,40}")).map(t -> " (" + t + ")").orElse("")
                    : "";
            readings.add(new Reading(Signal.TEMPERATURE, "thermal " + zone.getFileName() + type,
                    temp.getAsDouble() / 1000, max, crit));
        }
        return readings;
    }
}
