package org.cryo.health.monitor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * Ethernet receive errors (Documentation/ABI/testing/sysfs-class-net-statistics):
 * {@code /sys/class/net/IFACE/statistics/rx_crc_errors} and {@code rx_errors}.  The loopback and
 * virtual interfaces without a device ({@code /sys/class/net/IFACE/device} missing) are skipped:
 * only a physical link's errors say anything about the node.
 */
public final class EthernetMonitor implements HealthMonitor {
    static final String CLASS = "/sys/class/net";

    @Override
    public String name() {
        return "ethernet";
    }

    @Override
    public String where() {
        return CLASS + "/*/device";
    }

    @Override
    public boolean present(SysfsTree tree) {
        return !physical(tree).isEmpty();
    }

    private static List<Path> physical(SysfsTree tree) {
        return tree.list(tree.path(CLASS), "*").stream().filter(i -> Files.exists(i.resolve("device"))).toList();
    }

    @Override
    public List<Reading> read(SysfsTree tree) {
        List<Reading> readings = new ArrayList<>();
        for (Path iface : physical(tree)) {
            for (String counter : List.of("rx_crc_errors", "rx_errors")) {
                Path file = iface.resolve("statistics").resolve(counter);
                if (Files.exists(file)) {
                    tree.counter(file).ifPresent(v -> readings.add(Reading.counter(Signal.ETHERNET_ERRORS,
                            "net " + iface.getFileName() + " " + counter, v)));
                }
            }
        }
        return readings;
    }
}
