package org.cryo.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * For tests and demonstrations ({@code cryo health --root DIR}): a fixture sysfs tree laid out as the kernel's ABI documents it (Documentation/ABI/testing/
 * sysfs-devices-edac, sysfs-class-infiniband, sysfs-class-hwmon, sysfs-class-thermal,
 * sysfs-bus-pci-devices-aer_stats, sysfs-class-net-statistics), written the way the kernel
 * shows the attributes (a value and a newline; temperatures in millidegrees Celsius).
 */
public final class SysfsFixture {
    private final Path root;

    public SysfsFixture(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path write(String path, String value) throws IOException {
        Path file = root.resolve(path.substring(1));
        Files.createDirectories(file.getParent());
        // the monitors may read while a test writes: replace atomically, as sysfs never shows a half value
        Path temp = file.resolveSibling(file.getFileName() + ".new");
        Files.writeString(temp, value + "\n");
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** Records appended to /dev/kmsg as a regular file, each "PRIORITY,SEQUENCE,TIMESTAMP,-;MESSAGE" as the device shows it. */
    public SysfsFixture kmsg(String... records) throws IOException {
        Path file = root.resolve("dev/kmsg");
        Files.createDirectories(file.getParent());
        StringBuilder text = new StringBuilder();
        for (String record : records) {
            text.append(record).append('\n');
        }
        Files.writeString(file, text, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return this;
    }

    /** An XID record of the NVIDIA driver, sequence {@code seq}, for the GPU at {@code pci} ("0000:3b:00"). */
    public static String xid(long seq, String pci, int xid, String text) {
        return "4," + seq + "," + (seq * 1000 + 17) + ",-;NVRM: Xid (PCI:" + pci + "): " + xid + ", pid=4242, name=python3, "
                + text;
    }

    /** mcN/ce_count, ue_count and dimmM/dimm_ce_count, dimm_ue_count, dimm_label. */
    public SysfsFixture edacDimm(int mc, int dimm, long ce, long ue) throws IOException {
        String base = "/sys/devices/system/edac/mc/mc" + mc;
        write(base + "/mc_name", "Skylake Socket#" + mc + " IMC#0");
        write(base + "/ce_count", Long.toString(ce));
        write(base + "/ue_count", Long.toString(ue));
        write(base + "/dimm" + dimm + "/dimm_label", "CPU_SrcID#" + mc + "_MC#0_Chan#0_DIMM#" + dimm);
        write(base + "/dimm" + dimm + "/dimm_ce_count", Long.toString(ce));
        write(base + "/dimm" + dimm + "/dimm_ue_count", Long.toString(ue));
        return this;
    }

    public SysfsFixture ibCounter(String device, int port, String counter, long value) throws IOException {
        write("/sys/class/infiniband/" + device + "/ports/" + port + "/counters/" + counter, Long.toString(value));
        return this;
    }

    /** All five watched counters of a port, at 0. */
    public SysfsFixture ibPort(String device, int port) throws IOException {
        for (String counter : new String[] {"symbol_error", "port_rcv_errors", "port_rcv_remote_physical_errors",
                "link_error_recovery", "link_downed"}) {
            ibCounter(device, port, counter, 0);
        }
        write("/sys/class/infiniband/" + device + "/ports/" + port + "/state", "4: ACTIVE");
        return this;
    }

    /** hwmonN/tempM_input, _max, _crit in millidegrees. */
    public SysfsFixture hwmonTemp(int chip, int sensor, double input, double max, double crit) throws IOException {
        String base = "/sys/class/hwmon/hwmon" + chip;
        write(base + "/name", "coretemp");
        write(base + "/temp" + sensor + "_input", Long.toString(Math.round(input * 1000)));
        write(base + "/temp" + sensor + "_max", Long.toString(Math.round(max * 1000)));
        write(base + "/temp" + sensor + "_crit", Long.toString(Math.round(crit * 1000)));
        return this;
    }

    public SysfsFixture hwmonFan(int chip, int fan, long rpm) throws IOException {
        write("/sys/class/hwmon/hwmon" + chip + "/name", "nct6775");
        write("/sys/class/hwmon/hwmon" + chip + "/fan" + fan + "_input", Long.toString(rpm));
        return this;
    }

    /** thermal_zoneN/temp, type, and trip points 0 (passive) and 1 (critical). */
    public SysfsFixture thermalZone(int zone, double temp, double passive, double critical) throws IOException {
        String base = "/sys/class/thermal/thermal_zone" + zone;
        write(base + "/type", "x86_pkg_temp");
        write(base + "/temp", Long.toString(Math.round(temp * 1000)));
        write(base + "/trip_point_0_type", "passive");
        write(base + "/trip_point_0_temp", Long.toString(Math.round(passive * 1000)));
        write(base + "/trip_point_1_type", "critical");
        write(base + "/trip_point_1_temp", Long.toString(Math.round(critical * 1000)));
        return this;
    }

    /** aer_dev_correctable, aer_dev_nonfatal, aer_dev_fatal as the kernel prints them. */
    public SysfsFixture aer(String device, long correctable, long nonfatal, long fatal) throws IOException {
        String base = "/sys/bus/pci/devices/" + device;
        write(base + "/aer_dev_correctable", "RxErr 0\nBadTLP " + correctable + "\nBadDLLP 0\nRollover 0\nTimeout 0\n"
                + "NonFatalErr 0\nCorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR " + correctable);
        write(base + "/aer_dev_nonfatal", "Undefined 0\nDLP 0\nSDES 0\nTLP " + nonfatal + "\nFCP 0\nCmpltTO 0\n"
                + "TOTAL_ERR_NONFATAL " + nonfatal);
        write(base + "/aer_dev_fatal", "Undefined 0\nDLP " + fatal + "\nSDES 0\nTOTAL_ERR_FATAL " + fatal);
        return this;
    }

    /** A physical interface (with a device link) and its rx_crc_errors and rx_errors. */
    public SysfsFixture ethernet(String iface, long crc, long errors) throws IOException {
        String base = "/sys/class/net/" + iface;
        Files.createDirectories(root.resolve(base.substring(1)));
        Path device = root.resolve(base.substring(1)).resolve("device");
        if (!Files.exists(device, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path pci = Files.createDirectories(root.resolve("sys/devices/pci0000:00/0000:00:19.0"));
            Files.createSymbolicLink(device, pci);
        }
        write(base + "/statistics/rx_crc_errors", Long.toString(crc));
        write(base + "/statistics/rx_errors", Long.toString(errors));
        return this;
    }
}
