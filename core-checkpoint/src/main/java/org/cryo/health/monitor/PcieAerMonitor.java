package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * PCIe Advanced Error Reporting counters (Documentation/ABI/testing/sysfs-bus-pci-devices-aer_stats):
 * {@code /sys/bus/pci/devices/DEV/aer_dev_correctable}, {@code aer_dev_nonfatal} and
 * {@code aer_dev_fatal}, each a list of "NAME COUNT" lines ending with {@code TOTAL_ERR_COR},
 * {@code TOTAL_ERR_NONFATAL} or {@code TOTAL_ERR_FATAL}; the totals are what is watched.
 */
public final class PcieAerMonitor implements HealthMonitor {
    static final String DEVICES = "/sys/bus/pci/devices";

    @Override
    public String name() {
        return "aer";
    }

    @Override
    public String where() {
        return DEVICES + "/*/aer_dev_*";
    }

    @Override
    public boolean present(SysfsTree tree) {
        return tree.list(tree.path(DEVICES), "*").stream().anyMatch(d -> Files.exists(d.resolve("aer_dev_correctable")));
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path device : tree.list(tree.path(DEVICES), "*")) {
            String name = device.getFileName().toString();
            total(tree, device.resolve("aer_dev_correctable"), "TOTAL_ERR_COR")
                    .ifPresent(v -> readings.add(Reading.counter(Signal.PCIE_CORRECTED, "aer " + name + " correctable", v)));
            long uncorrected = 0;
            boolean any = false;
            for (String[] kind : new String[][] {{"aer_dev_nonfatal", "TOTAL_ERR_NONFATAL"}, {"aer_dev_fatal", "TOTAL_ERR_FATAL"}}) {
                OptionalLong total = total(tree, device.resolve(kind[0]), kind[1]);
                if (total.isPresent()) {
                    uncorrected += total.getAsLong();
                    any = true;
                }
            }
            if (any) {
                readings.add(Reading.counter(Signal.PCIE_UNCORRECTED, "aer " + name + " nonfatal+fatal", uncorrected));
            }
        }
        return readings;
    }

    /** The TOTAL_ERR_* line of one aer_dev_* file; empty (with a notice) if it has none or it is garbage. */
    private static OptionalLong total(SysfsTree tree, Path file, String totalName) {
        if (!Files.exists(file)) {
            return OptionalLong.empty();
        }
        var text = tree.text(file);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        for (String line : text.get().split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 2 && fields[0].equals(totalName)) {
                return tree.parseCount(file, fields[1]);
            }
        }
        tree.notices().value(tree.describe(file) + ": no " + totalName + " line; ignored");
        return OptionalLong.empty();
    }
}
