package org.cryo.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.cryo.health.monitor.SysfsTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every monitor on a fixture tree laid out as the kernel's; missing, garbage, vanished files. */
class MonitorsTest {
    @TempDir
    Path root;

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();

    private NodeHealth health(Map<String, String> settings) {
        return new NodeHealth(HealthPolicy.with(settings, "test"), new SysfsTree(root, new Notices(new PrintStream(said, true))));
    }

    private static Map<String, Double> values(NodeHealth health) {
        return health.series().values().stream().collect(Collectors.toMap(s -> s.signal().key() + " " + s.name(),
                s -> s.latest().value()));
    }

    @Test
    void everySourceIsReadWhereTheKernelDocumentsIt() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 1, 7, 0).ibPort("mlx5_0", 1).aer("0000:3b:00.0", 4, 1, 0)
                .ethernet("eno1", 2, 3).hwmonTemp(0, 1, 45.5, 80, 95).hwmonFan(1, 2, 3200).thermalZone(0, 41, 85, 100);
        tree.ibCounter("mlx5_0", 1, "symbol_error", 12);
        NodeHealth health = health(Map.of("monitors", "edac, aer, infiniband, ethernet, hwmon, thermal"));
        Verdict verdict = health.poll(1000, Duration.ofSeconds(60));
        Map<String, Double> values = values(health);
        assertEquals(7.0, values.get("memory.corrected edac mc0 ce_count"), values.toString());
        assertEquals(7.0, values.get("memory.corrected edac mc0/dimm1 (CPU_SrcID#0_MC#0_Chan#0_DIMM#1) dimm_ce_count"));
        assertEquals(0.0, values.get("memory.uncorrected edac mc0 ue_count"));
        assertEquals(12.0, values.get("interconnect.errors ib mlx5_0 port 1 symbol_error"));
        assertEquals(0.0, values.get("interconnect.link_downed ib mlx5_0 port 1 link_downed"));
        assertEquals(4.0, values.get("pcie.corrected aer 0000:3b:00.0 correctable"));
        assertEquals(1.0, values.get("pcie.uncorrected aer 0000:3b:00.0 nonfatal+fatal"));
        assertEquals(2.0, values.get("ethernet.errors net eno1 rx_crc_errors"));
        assertEquals(3.0, values.get("ethernet.errors net eno1 rx_errors"));
        assertEquals(45.5, values.get("temperature hwmon hwmon0 (coretemp) temp1"));
        assertEquals(3200.0, values.get("fan hwmon hwmon1 (nct6775) fan2"));
        assertEquals(41.0, values.get("temperature thermal thermal_zone0 (x86_pkg_temp)"));
        Series zone = health.series().get("TEMPERATURE thermal thermal_zone0 (x86_pkg_temp)");
        assertEquals(85.0, zone.max());
        assertEquals(100.0, zone.crit());
        assertEquals(Level.OK, verdict.level(), "counts a node had before it was first seen are not a rate: " + verdict);
        assertEquals(List.of(), health.missing());
    }

    @Test
    void aMissingSourceIsSaidOnceAndIsNoError() {
        NodeHealth health = health(Map.of());
        health.poll(1000, Duration.ofSeconds(60));
        health.poll(2000, Duration.ofSeconds(60));
        String out = said.toString();
        assertEquals(1, out.lines().filter(l -> l.contains("edac: not on this node")).count(), out);
        assertEquals(1, out.lines().filter(l -> l.contains("infiniband: not on this node")).count(), out);
        assertTrue(health.missing().containsAll(List.of("edac", "aer", "infiniband", "ethernet", "hwmon", "thermal")),
                health.missing().toString());
        assertEquals(Level.OK, health.last().level());
    }

    @Test
    void garbageAVanishedFileAndABackwardsCounterAreNoticesNeverAnEvacuation() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 0, 10, 0).hwmonTemp(0, 1, 50, 80, 95).ibPort("hfi1_0", 1);
        NodeHealth health = health(Map.of("monitors", "edac, hwmon, infiniband"));
        health.poll(1000, Duration.ofSeconds(60));
        tree.write("/sys/devices/system/edac/mc/mc0/dimm0/dimm_ce_count", "garbage\u001b[2J");
        tree.write("/sys/devices/system/edac/mc/mc0/ce_count", "-5");
        tree.write("/sys/class/hwmon/hwmon0/temp1_input", "1e9");
        tree.write("/sys/class/infiniband/hfi1_0/ports/1/counters/symbol_error", "9".repeat(40));
        Files.delete(root.resolve("sys/devices/system/edac/mc/mc0/ue_count"));
        Files.writeString(root.resolve("sys/class/infiniband/hfi1_0/ports/1/counters/port_rcv_errors"), "x".repeat(10000));
        assertEquals(Level.OK, health.poll(2000, Duration.ofSeconds(60)).level());
        tree.edacDimm(0, 0, 3, 0);   // reset (a reboot)
        assertEquals(Level.OK, health.poll(3000, Duration.ofSeconds(60)).level());
        String out = said.toString();
        assertTrue(out.contains("/sys/devices/system/edac/mc/mc0/dimm0/dimm_ce_count: not a count: 'garbage"), out);
        assertTrue(!out.contains("\u001b"), "a file's garbage is shown, never obeyed by the terminal");
        assertTrue(out.contains("/sys/devices/system/edac/mc/mc0/ce_count: not a count: '-5'"), out);
        assertTrue(out.contains("/sys/class/hwmon/hwmon0/temp1_input: not a number: '1e9'"), out);
        assertTrue(out.contains("port_rcv_errors: longer than a sysfs attribute"), out);
        assertTrue(out.contains("counter went back from 10 to 3 (reset: reboot or driver reload?)"), out);
    }

    @Test
    void rasdaemonsDatabaseIsReadWithSqlite3() throws Exception {
        Path db = root.resolve("var/lib/rasdaemon/ras-mc_event.db");
        Files.createDirectories(db.getParent());
        sqlite(db, "CREATE TABLE mc_event (id INTEGER PRIMARY KEY, timestamp TEXT, err_count INTEGER, err_type TEXT,"
                + " err_msg TEXT, label TEXT, mc INTEGER);"
                + "INSERT INTO mc_event (err_count, err_type, label, mc) VALUES (3, 'Corrected', 'DIMM_A1', 0),"
                + " (4, 'Corrected', 'DIMM_A1', 0), (1, 'Uncorrected', 'DIMM_B2', 1);");
        NodeHealth health = health(Map.of("monitors", "rasdaemon"));
        health.poll(1000, Duration.ofSeconds(60));
        assertEquals(7.0, values(health).get("memory.corrected rasdaemon mc_event corrected"), values(health).toString());
        sqlite(db, "INSERT INTO mc_event (err_count, err_type, label, mc) VALUES (2, 'Uncorrected', 'DIMM_B2', 1);");
        Verdict verdict = health.poll(2000, Duration.ofSeconds(60));
        assertEquals(Level.EVACUATE, verdict.level(), verdict.toString());
        assertEquals("ECC uncorrected", verdict.worst().precursor());
    }

    @Test
    void nvidiaSmiIsAskedWhenThereAndItsNotAvailableFieldsAreSkipped() throws Exception {
        Path tool = root.resolve("nvidia-smi");
        Path answer = root.resolve("answer.csv");
        Files.writeString(answer, "0, 61, 25, 0, 0\n1, 55, [N/A], [N/A], [N/A]\n");
        Files.writeString(tool, "#!/bin/sh\ncat " + answer + "\n");
        tool.toFile().setExecutable(true);
        NodeHealth health = health(Map.of("monitors", "nvidia-smi", "nvidia_smi", tool.toString()));
        health.poll(1000, Duration.ofSeconds(60));
        Map<String, Double> values = values(health);
        assertEquals(61.0, values.get("temperature nvidia gpu0 temperature.gpu"), values.toString());
        assertEquals(86.0, health.series().get("TEMPERATURE nvidia gpu0 temperature.gpu").max());
        assertEquals(55.0, values.get("temperature nvidia gpu1 temperature.gpu"));
        assertEquals(null, values.get("gpu.corrected nvidia gpu1 ecc corrected"));
        Files.writeString(answer, "0, 61, 25, 0, 3\n1, 55, [N/A], [N/A], [N/A]\n");
        Verdict verdict = health.poll(2000, Duration.ofSeconds(60));
        assertEquals(Level.EVACUATE, verdict.level(), verdict.toString());
        assertEquals("GPU ECC uncorrected", verdict.worst().precursor());
    }

    @Test
    void aToolThatFailsIsANoticeWithItsMessageEscaped() throws Exception {
        Path tool = root.resolve("nvidia-smi");
        Files.writeString(tool, "#!/bin/sh\nprintf 'NVML: \\033]0;owned\\007driver gone\\n' >&2\nexit 9\n");
        tool.toFile().setExecutable(true);
        NodeHealth health = health(Map.of("monitors", "nvidia-smi", "nvidia_smi", tool.toString()));
        health.poll(1000, Duration.ofSeconds(60));
        String out = said.toString();
        assertTrue(out.contains("nvidia-smi: " + tool + " exited with 9 (NVML: \\x1b]0;owned\\x07driver gone); ignored"), out);
        assertFalse(out.contains("\u001b"), "no escape character reaches the terminal: " + out);
        assertEquals(Map.of(), values(health), "nothing measured from a tool that failed");
    }

    @Test
    void nvidiaXidEventsInTheKernelLogAreCountedOnceEachAtTheLevelTheirXidMeans() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).kmsg("6,100,5000,-;Linux version 6.18",
                SysfsFixture.xid(101, "0000:3b:00", 79, "GPU has fallen off the bus."));   // before the agent: a baseline
        NodeHealth health = health(Map.of("monitors", "nvidia-xid", "hysteresis.polls", "1"));
        assertEquals(Level.OK, health.poll(1000, Duration.ofSeconds(60)).level(), "what the log held before is no rise");
        assertEquals(1.0, values(health).get("gpu.xid.fail nvidia xid 79"), values(health).toString());
        assertEquals(0.0, values(health).get("gpu.xid.evacuate nvidia xid 48"), "every XID of the list, from the first poll");

        tree.kmsg(SysfsFixture.xid(102, "0000:3b:00", 13, "Graphics SM Warp Exception"),   // the application's: ignored
                " SUBSYSTEM=pci", "6,103,6000,-;usb 1-1: new device");
        assertEquals(Level.OK, health.poll(2000, Duration.ofSeconds(60)).level());
        tree.kmsg(SysfsFixture.xid(104, "0000:3b:00", 63, "Row Remapper: New row marked for remapping, reset gpu to activate."));
        Verdict warn = health.poll(3000, Duration.ofSeconds(60));
        assertEquals(Level.WARN, warn.level(), warn.toString());
        assertEquals("GPU XID", warn.worst().precursor());
        assertTrue(warn.reason().contains("nvidia xid 63: 1 XID events within 1h (warn at 1)"), warn.reason());
        assertEquals(Level.WARN, health.poll(4000, Duration.ofSeconds(60)).level(), "a record is counted once, not at every poll");
        assertEquals(1.0, values(health).get("gpu.xid.warn nvidia xid 63"));

        tree.kmsg(SysfsFixture.xid(105, "0000:af:00", 74, "NVLink: fatal error detected on link 2"));
        Verdict evacuate = health.poll(5000, Duration.ofSeconds(60));
        assertEquals(Level.EVACUATE, evacuate.level(), evacuate.toString());
        tree.kmsg(SysfsFixture.xid(106, "0000:af:00", 95, "Uncontained: FBHUB. RST: Yes, D-RST: No"));
        assertEquals(Level.FAIL, health.poll(6000, Duration.ofSeconds(60)).level());
        assertTrue(health.tree().notices().recent().stream().anyMatch(n -> n.contains("nvidia-xid: NVRM: Xid (PCI:0000:af:00): 74")),
                "each event names its GPU: " + health.tree().notices().recent());
    }

    @Test
    void garbageInTheKernelLogAndNoKernelLogAreNoticesNeverAFinding() throws Exception {
        NodeHealth none = health(Map.of("monitors", "nvidia-xid"));
        assertEquals(Level.OK, none.poll(1000, Duration.ofSeconds(60)).level());
        assertEquals(List.of("nvidia-xid"), none.missing(), "no /dev/kmsg under the root: not monitored, said once");
        assertTrue(said.toString().contains("nvidia-xid: not on this node (/dev/kmsg (NVRM: Xid records))"), said.toString());

        SysfsFixture tree = new SysfsFixture(root).kmsg("6,1,1,-;boot");
        NodeHealth health = health(Map.of("monitors", "nvidia-xid"));
        health.poll(1000, Duration.ofSeconds(60));
        tree.kmsg("NVRM: Xid (PCI:0000:3b:00): 79, not a kmsg record\u001b[2J", "4,x,1,-;NVRM: Xid (PCI:0000:3b:00): 79, bad",
                "4,9999999999999999999,1,-;NVRM: Xid (PCI:0000:3b:00): 79, sequence too large",
                "4,5,1,-;NVRM: Xid (PCI:zz): 79, no PCI address", "4,6,1,-;NVRM: Xid (PCI:0000:3b:00): 48x, not a number",
                SysfsFixture.xid(1, "0000:3b:00", 48, "an old sequence number: already seen"));
        Verdict verdict = health.poll(2000, Duration.ofSeconds(60));
        assertEquals(Level.OK, verdict.level(), verdict.toString());
        String out = said.toString();
        assertTrue(out.contains("nvidia-xid: not a /dev/kmsg record: 'NVRM: Xid (PCI:0000:3b:00): 79, not a kmsg record"), out);
        assertTrue(!out.contains("\u001b"), "shown, never obeyed by the terminal");
        assertTrue(out.contains("nvidia-xid: sequence out of range"), out);
        Files.delete(root.resolve("dev/kmsg"));
        assertEquals(Level.OK, health.poll(3000, Duration.ofSeconds(60)).level(), "vanished: missing, no finding");
    }

    private static void sqlite(Path db, String sql) throws Exception {
        Process p = new ProcessBuilder("sqlite3", db.toString(), sql).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }
}
