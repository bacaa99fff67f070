package org.cryo.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private static void sqlite(Path db, String sql) throws Exception {
        Process p = new ProcessBuilder("sqlite3", db.toString(), sql).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }
}
