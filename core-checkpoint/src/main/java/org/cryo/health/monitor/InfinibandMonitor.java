package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * InfiniBand and Omni-Path port counters (Documentation/ABI/testing/sysfs-class-infiniband):
 * {@code /sys/class/infiniband/DEV/ports/N/counters/}{@code symbol_error},
 * {@code port_rcv_errors}, {@code port_rcv_remote_physical_errors}, {@code link_error_recovery}
 * (a flaky cable or transceiver: checksum errors, link retraining) and {@code link_downed}.
 */
public final class InfinibandMonitor implements HealthMonitor {
    static final String CLASS = "/sys/class/infiniband";
    static final List<String> ERROR_COUNTERS = List.of("symbol_error", "port_rcv_errors",
            "port_rcv_remote_physical_errors", "link_error_recovery");

    @Override
    public String name() {
        return "infiniband";
    }

    @Override
    public String where() {
        return CLASS;
    }

    @Override
    public boolean present(SysfsTree tree) {
        return !tree.list(tree.path(CLASS), "*").isEmpty();
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path device : tree.list(tree.path(CLASS), "*")) {
            for (Path port : tree.list(device.resolve("ports"), "[0-9]*")) {
                Path counters = port.resolve("counters");
                String series = "ib " + device.getFileName() + " port " + port.getFileName() + " ";
                for (String counter : ERROR_COUNTERS) {
                    add(tree, readings, Signal.INTERCONNECT_ERRORS, series + counter, counters.resolve(counter));
                }
                add(tree, readings, Signal.INTERCONNECT_LINK_DOWNED, series + "link_downed", counters.resolve("link_downed"));
            }
        }
        return readings;
    }

    private static void add(SysfsTree tree, List<Reading> readings, Signal signal, String series, Path file) {
        if (Files.exists(file)) {
            tree.counter(file).ifPresent(v -> readings.add(Reading.counter(signal, series, v)));
        }
    }
}
