package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * hwmon sensors (Documentation/ABI/testing/sysfs-class-hwmon): {@code /sys/class/hwmon/hwmonN/}
 * {@code tempM_input} in millidegrees Celsius against the chip's own {@code tempM_max} and
 * {@code tempM_crit}, and {@code fanM_input} in rpm (0: the fan stopped).  A fan whose
 * {@code fanM_input} has always read 0 may be an empty header; the policy warns, it does not evacuate.
 */
public final class HwmonMonitor implements HealthMonitor {
    static final String CLASS = "/sys/class/hwmon";

    @Override
    public String name() {
        return "hwmon";
    }

    @Override
    public String where() {
        return CLASS;
    }

    @Override
    public boolean present(SysfsTree tree) {
        return !tree.list(tree.path(CLASS), "hwmon[0-9]*").isEmpty();
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path chip : tree.list(tree.path(CLASS), "hwmon[0-9]*")) {
            String name = chip.getFileName() + chipName(tree, chip);
            for (Path input : tree.list(chip, "temp[0-9]*_input")) {
                String sensor = input.getFileName().toString().replace("_input", "");
                OptionalDouble value = tree.integer(input);
                if (value.isPresent()) {
                    readings.add(new Reading(Signal.TEMPERATURE, "hwmon " + name + " " + sensor,
                            value.getAsDouble() / 1000, millidegrees(tree, chip.resolve(sensor + "_max")),
                            millidegrees(tree, chip.resolve(sensor + "_crit"))));
                }
            }
            for (Path input : tree.list(chip, "fan[0-9]*_input")) {
                String fan = input.getFileName().toString().replace("_input", "");
                tree.counter(input).ifPresent(rpm -> readings.add(Reading.gauge(Signal.FAN, "hwmon " + name + " " + fan, rpm)));
            }
        }
        return readings;
    }

    private static String chipName(SysfsTree tree, Path chip) {
        Path file = chip.resolve("name");
        return Files.exists(file) ? tree.text(file).filter(n -> n.matches("[\\w.-]{1,40}")).map(n -> " (" + n + ")").orElse("") : "";
    }

    private static double millidegrees(SysfsTree tree, Path file) {
        if (!Files.exists(file)) {
            return Double.NaN;
        }
        OptionalDouble value = tree.integer(file);
        return value.isPresent() ? value.getAsDouble() / 1000 : Double.NaN;
    }
}
