package org.cryo.health;

import java.util.ArrayList;
import java.util.List;
import org.cryo.health.monitor.EdacMonitor;
import org.cryo.health.monitor.EthernetMonitor;
import org.cryo.health.monitor.HealthMonitor;
import org.cryo.health.monitor.HwmonMonitor;
import org.cryo.health.monitor.InfinibandMonitor;
import org.cryo.health.monitor.NvidiaSmiMonitor;
import org.cryo.health.monitor.PcieAerMonitor;
import org.cryo.health.monitor.RasdaemonMonitor;
import org.cryo.health.monitor.ThermalMonitor;
import org.cryo.health.monitor.XidMonitor;

/** The monitors a policy names, in its order. */
public final class Monitors {
    private Monitors() {
    }

    public static List<HealthMonitor> of(HealthPolicy policy) {
        List<HealthMonitor> monitors = new ArrayList<>();
        for (String name : policy.monitors()) {
            monitors.add(switch (name) {
                case "edac" -> new EdacMonitor();
                case "aer" -> new PcieAerMonitor();
                case "infiniband" -> new InfinibandMonitor();
                case "ethernet" -> new EthernetMonitor();
                case "hwmon" -> new HwmonMonitor();
                case "thermal" -> new ThermalMonitor();
                case "rasdaemon" -> new RasdaemonMonitor(policy.sqlite3());
                case "nvidia-smi" -> new NvidiaSmiMonitor(policy.nvidiaSmi());
                case "nvidia-xid" -> new XidMonitor();
                default -> throw new IllegalArgumentException("unknown monitor " + name);
            });
        }
        return monitors;
    }
}
