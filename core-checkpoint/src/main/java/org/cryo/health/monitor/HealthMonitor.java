package org.cryo.health.monitor;

import java.util.List;
import org.cryo.health.Reading;

/**
 * One source of fault precursors (EDAC, PCIe AER, InfiniBand, Ethernet, hwmon, thermal zones,
 * rasdaemon, nvidia-smi).  A monitor reads the tree it is given and returns what it found; it
 * never throws: what it cannot read is a notice ({@link SysfsTree#notices}).
 */
public interface HealthMonitor {
    /** Its name, as in the policy's {@code monitors} setting and in messages: "edac", "hwmon". */
    String name();

    /** Whether the node has this source at all (the driver's directory exists, the tool is there). */
    boolean present(SysfsTree tree);

    /** What it reads now; empty when nothing could be read. */
    List<Reading> read(SysfsTree tree);

    /** Where it reads, for the one notice that says a source is missing. */
    String where();
}
