package org.cryo.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.cryo.health.monitor.SysfsTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy over fixture counters and sensors: rates in windows, limits, trends, hysteresis, its file. */
class PolicyTest {
    private static final long MINUTE = 60_000;
    private static final Duration CHECKPOINT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private NodeHealth health(String monitors) {
        return new NodeHealth(HealthPolicy.with(Map.of("monitors", monitors), "test"),
                new SysfsTree(root, new Notices(null)));
    }

    @Test
    void correctedEccWarnsThenEvacuatesByTheirRiseWithinTheWindowAndNamesTheDimm() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 1, 5000, 0);   // an old count is no rate
        NodeHealth health = health("edac");
        assertEquals(Level.OK, health.poll(0, CHECKPOINT).level());
        tree.edacDimm(0, 1, 5030, 0);
        Verdict warn = health.poll(10 * MINUTE, CHECKPOINT);
        assertEquals(Level.WARN, warn.level(), warn.toString());
        tree.edacDimm(0, 1, 5250, 0);
        Verdict evacuate = health.poll(20 * MINUTE, CHECKPOINT);
        assertEquals(Level.EVACUATE, evacuate.level());
        assertTrue(evacuate.reason().startsWith("cryo health evacuate: ECC corrected: edac mc0"), evacuate.reason());
        assertTrue(evacuate.reason().contains("250 corrected errors within 1h (evacuate at 200)"), evacuate.reason());
        // an hour later without new errors the window is clean; the level falls only after 3 polls (hysteresis)
        assertEquals(Level.EVACUATE, health.poll(81 * MINUTE, CHECKPOINT).level());
        assertEquals(Level.OK, health.last().raw());
        assertEquals(Level.EVACUATE, health.poll(82 * MINUTE, CHECKPOINT).level());
        assertEquals(Level.OK, health.poll(83 * MINUTE, CHECKPOINT).level());
    }

    @Test
    void noisyCountersBelowThePolicyNeverWarn() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 0, 0, 0).ibPort("mlx5_0", 1);
        NodeHealth health = health("edac, infiniband");
        long ce = 0;
        long symbols = 0;
        for (int poll = 0; poll < 6 * 36; poll++) {   // 6 hours, every 100 s
            ce += poll % 6 == 0 ? 3 : 0;              // 18 an hour, under 20
            symbols += poll % 2 == 0 ? 1 : 0;         // 3 in 10 minutes, under 10
            tree.edacDimm(0, 0, ce, 0).ibCounter("mlx5_0", 1, "symbol_error", symbols);
            Verdict verdict = health.poll(poll * 100_000L, CHECKPOINT);
            assertEquals(Level.OK, verdict.raw(), "poll " + poll + ": " + verdict);
        }
    }

    @Test
    void aCounterResetTriggersNothingAndCountsAgainFromTheNewValue() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 0, 180, 0).ibPort("mlx5_0", 1);
        NodeHealth health = health("edac, infiniband");
        health.poll(0, CHECKPOINT);
        tree.edacDimm(0, 0, 190, 0);
        assertEquals(Level.OK, health.poll(MINUTE, CHECKPOINT).raw());
        tree.edacDimm(0, 0, 2, 0).ibCounter("mlx5_0", 1, "symbol_error", 0);   // rebooted
        assertEquals(Level.OK, health.poll(2 * MINUTE, CHECKPOINT).raw());
        tree.edacDimm(0, 0, 12, 0);
        assertEquals(Level.OK, health.poll(3 * MINUTE, CHECKPOINT).raw(), "10 since the reset, not 190 - 2 nor 12 + 190");
        tree.edacDimm(0, 0, 30, 0);
        assertEquals(Level.WARN, health.poll(4 * MINUTE, CHECKPOINT).raw(), "28 since the reset");
    }

    @Test
    void aTemperatureClimbingTowardsCritEvacuatesWhileACheckpointStillHasTime() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).hwmonTemp(0, 1, 60, 90, 95);
        NodeHealth health = health("hwmon");
        Level first = null;
        double at = 0;
        for (int second = 0; second <= 350; second += 10) {   // +1 °C every 10 s, from 60 °C
            double temp = 60 + second / 10.0;
            tree.hwmonTemp(0, 1, temp, 90, 95);
            Verdict verdict = health.poll(second * 1000L, CHECKPOINT);
            if (verdict.level() == Level.EVACUATE) {
                first = verdict.level();
                at = temp;
                assertTrue(verdict.reason().contains("temperature: hwmon hwmon0 (coretemp) temp1"), verdict.reason());
                assertTrue(verdict.reason().contains("rising 0.10 °C/s"), verdict.reason());
                break;
            }
        }
        assertEquals(Level.EVACUATE, first);
        // the lead time is 2 x 60 s + 30 s = 150 s: 15 °C before crit at 0.1 °C/s, well before its max
        assertTrue(at >= 79 && at <= 81, "evacuated at " + at + " °C");
    }

    @Test
    void aSteadyWarmNodeIsNoTrendAndCritIsTooLateToCheckpoint() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).thermalZone(0, 70, 85, 100);
        NodeHealth health = health("thermal");
        for (int second = 0; second < 600; second += 30) {
            tree.thermalZone(0, 70 + (second / 30) % 2, 85, 100);   // 70-71 °C, flat
            assertEquals(Level.OK, health.poll(second * 1000L, CHECKPOINT).raw());
        }
        tree.thermalZone(0, 86, 85, 100);
        assertEquals(Level.WARN, health.poll(700_000, CHECKPOINT).raw(), "above the passive trip point");
        tree.thermalZone(0, 100, 85, 100);
        Verdict fail = health.poll(701_000, CHECKPOINT);
        assertEquals(Level.FAIL, fail.level());
        assertTrue(fail.reason().contains("at or above crit 100.0 °C (too late to checkpoint)"), fail.reason());
    }

    @Test
    void anUncorrectedErrorOrAFanThatStoppedAreSeenAtOnce() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).edacDimm(0, 0, 0, 0).hwmonFan(1, 1, 0).hwmonFan(1, 2, 4000).aer("0000:00:1c.0", 0, 0, 0);
        NodeHealth health = health("edac, hwmon, aer");
        assertEquals(Level.OK, health.poll(0, CHECKPOINT).raw(), "a fan header that never spun is no finding");
        tree.hwmonFan(1, 2, 0);
        Verdict fan = health.poll(MINUTE, CHECKPOINT);
        assertEquals(Level.WARN, fan.raw());
        assertEquals("fan", fan.worst().precursor());
        tree.aer("0000:00:1c.0", 0, 0, 1);
        assertEquals("PCIe AER uncorrected", health.poll(2 * MINUTE, CHECKPOINT).worst().precursor());
        tree.edacDimm(0, 0, 0, 1);
        Verdict ue = health.poll(3 * MINUTE, CHECKPOINT);
        assertEquals(Level.EVACUATE, ue.raw());
    }

    @Test
    void thePolicyFileOverridesDefaultsAndRefusesTyposAndBadValuesByName() throws Exception {
        Path file = root.resolve("health.conf");
        Files.writeString(file, "# site policy\nmemory.corrected.evacuate = 50   # stricter\npoll.interval = 10s\n");
        HealthPolicy policy = HealthPolicy.load(file);
        assertEquals(50, policy.counter(Signal.MEMORY_CORRECTED).evacuate());
        assertEquals(Duration.ofSeconds(10), policy.pollInterval());
        assertEquals(20, policy.counter(Signal.MEMORY_CORRECTED).warn(), "the rest are the defaults");
        Files.writeString(file, "memory.corected.evacuate = 50\n");
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> HealthPolicy.load(file));
        assertEquals(file + ": unknown setting 'memory.corected.evacuate'", typo.getMessage());
        Files.writeString(file, "memory.corrected.window = an hour\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> HealthPolicy.load(file));
        assertTrue(bad.getMessage().contains("memory.corrected.window: not a duration"), bad.getMessage());
        assertEquals(HealthPolicy.defaults().settings(), HealthPolicy.load(root.resolve("absent.conf")).settings());
    }

    @Test
    void historySurvivesBetweenOneShotChecksAndAGarbledStateFileIsAFreshStart() throws Exception {
        SysfsFixture tree = new SysfsFixture(root).ibPort("mlx5_0", 1);
        Path state = root.resolve("state/state.json");
        NodeHealth first = health("infiniband");
        first.poll(0, CHECKPOINT);
        HealthSetup.saveState(first, state);
        tree.ibCounter("mlx5_0", 1, "symbol_error", 150);
        NodeHealth second = health("infiniband");
        HealthSetup.loadState(second, state);
        Verdict verdict = second.poll(MINUTE, CHECKPOINT);
        assertEquals(Level.EVACUATE, verdict.level(), verdict.toString());
        assertTrue(verdict.reason().contains("IB errors: ib mlx5_0 port 1 symbol_error: 150 errors within 10m"), verdict.reason());
        Files.writeString(state, "{not json");
        NodeHealth third = health("infiniband");
        HealthSetup.loadState(third, state);
        assertEquals(Level.OK, third.poll(2 * MINUTE, CHECKPOINT).level());
        assertTrue(third.tree().notices().recent().stream().anyMatch(n -> n.contains("saved health state not usable")));
    }
}
