package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * EDAC memory errors (Documentation/ABI/testing/sysfs-devices-edac):
 * {@code /sys/devices/system/edac/mc/mcN/ce_count} and {@code ue_count} per memory controller,
 * {@code mcN/dimmM/dimm_ce_count} and {@code dimm_ue_count} per DIMM (older drivers: {@code rankM}).
 * A DIMM's corrected errors rising is the classic precursor of its uncorrected ones.
 */
public final class EdacMonitor implements HealthMonitor {
    static final String MC = "/sys/devices/system/edac/mc";

    @Override
    public String name() {
        return "edac";
    }

    @Override
    public String where() {
        return MC;
    }

    @Override
    public boolean present(SysfsTree tree) {
        return !tree.list(tree.path(MC), "mc[0-9]*").isEmpty();
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path mc : tree.list(tree.path(MC), "mc[0-9]*")) {
            String name = mc.getFileName().toString();
            add(tree, readings, Signal.MEMORY_CORRECTED, name, mc.resolve("ce_count"));
            add(tree, readings, Signal.MEMORY_UNCORRECTED, name, mc.resolve("ue_count"));
            for (Path dimm : dimms(tree, mc)) {
                String series = name + "/" + dimm.getFileName() + label(tree, dimm);
                add(tree, readings, Signal.MEMORY_CORRECTED, series, dimm.resolve("dimm_ce_count"));
                add(tree, readings, Signal.MEMORY_UNCORRECTED, series, dimm.resolve("dimm_ue_count"));
            }
        }
        return readings;
    }

    private static List<Path> dimms(SysfsTree tree, Path mc) {
        List<Path> dimms = new ArrayList<>(tree.list(mc, "dimm[0-9]*"));
        dimms.addAll(tree.list(mc, "rank[0-9]*"));
        return dimms;
    }

    /** The DIMM's silk-screen label ("CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"), which the admin replaces by. */
    private static String label(SysfsTree tree, Path dimm) {
        Path file = dimm.resolve("dimm_label");
        if (!Files.exists(file)) {
            return "";
        }
        return tree.text(file).filter(l -> !l.isEmpty() && l.length() < 80).map(l -> " (" + l + ")").orElse("");
    }

    private static void add(SysfsTree tree, List<Reading> readings, Signal signal, String series, Path file) {
        if (Files.exists(file)) {
            tree.counter(file).ifPresent(v -> readings.add(Reading.counter(signal, "edac " + series + " "
                    + file.getFileName(), v)));
        }
    }
}
