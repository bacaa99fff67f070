package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cryo.health.SysfsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 11 on Grid Engine, with its own mechanism: 'cryo sge install-load-sensor' adds the
 * cryo_health complex, Cryo's load sensor and all.q's suspend_thresholds cryo_health=2; each
 * execd's sensor reports its host's level from a fixture sysfs tree; the test raises the job's
 * host's ECC counters past the policy, Grid Engine suspends the queue instance at the next load
 * report and migrates the checkpointable job (migr_command), which finishes on the other host
 * with the right result, each step done once.
 */
@ResourceLock(SgeCluster.LOCK)
class SgeHealthTest {
    private static final int STEPS = 400;   // 100 s of work: the migration comes within a few load reports, mid-run
    private static final Path SENSOR_ENV = Path.of("/etc/cryo/health-sensor.env");

    @Test
    void aHostWhoseEccErrorsPassThePolicyHasItsJobMigratedByGridEngine() throws Exception {
        SgeCluster.installCheckpointEnvironment();
        Path dir = SgeCluster.jobDir("health");
        for (String host : SgeCluster.hosts()) {
            new SysfsFixture(dir.resolve("sys-" + host)).edacDimm(0, 0, 10, 0);
        }
        Files.createDirectories(SENSOR_ENV.getParent());
        Files.writeString(SENSOR_ENV, "# written by SgeHealthTest\nCRYO_HEALTH_ROOT=" + dir + "/sys-$host\n"
                + "CRYO_HEALTH_STATE=" + dir + "/state-$host/state.json\nCRYO_HEALTH_LOG=" + dir + "/sensor-$host.log\n");
        SgeCommands qconf = new SgeCommands(SgeCluster.environment());
        String globalSensors = HealthLoadSensorInstaller.joined(qconf.run("qconf", "-sconf", "global").text()).lines()
                .filter(l -> l.startsWith("load_sensor ")).findFirst().orElse("load_sensor none").substring(12).strip();
        String interval = qconf.queueAttribute("all.q", "suspend_interval");
        String jobId = null;
        try {
            String installed = SgeCluster.run(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "install-load-sensor",
                    "--queue", "all.q", "--suspend-interval", "00:00:01"), Map.of(), 0);
            assertTrue(installed.contains("suspend_thresholds cryo_health=2"), installed);
            String again = SgeCluster.run(Path.of("/"), List.of(SgeCluster.cryo(), "sge", "install-load-sensor",
                    "--queue", "all.q", "--suspend-interval", "00:00:01"), Map.of(), 0);
            assertTrue(again.contains("nothing to change"), again);
            for (String host : SgeCluster.hosts()) {
                SgeCluster.waitUntil("cryo_health reported by " + host, 60, () -> reported(host).equals("0"));
            }
            jobId = SgeCluster.startCheckpointableJob(dir, STEPS, 0.25);
            String from = SgeCluster.hostOf(jobId);
            Path catalog = dir.resolve(".cryo").resolve(jobId);
            long start = System.nanoTime();
            new SysfsFixture(dir.resolve("sys-" + from)).edacDimm(0, 0, 400, 0);
            // one loop watches every stage, so a fast migration is not missed while waiting for an earlier one
            long reportedAt = 0;
            long checkpointedAt = 0;
            long deadline = System.currentTimeMillis() + 150_000;
            while (!SgeCluster.restarted(dir)) {
                assertTrue(System.currentTimeMillis() < deadline, "no migration within 150 s: cryo_health " + reported(from)
                        + ", runs " + SgeCluster.runs(dir));
                if (reportedAt == 0 && reported(from).equals("2")) {
                    reportedAt = System.nanoTime();
                }
                if (checkpointedAt == 0 && Files.exists(catalog.resolve("context.000001"))) {
                    checkpointedAt = System.nanoTime();
                }
                Thread.sleep(100);
            }
            long restartedAt = System.nanoTime();
            int steps = SgeCluster.stepsDone(dir.resolve("progress.txt"));
            SgeCluster.waitUntil("a step after the restart", 60, () -> SgeCluster.stepsDone(dir.resolve("progress.txt")) > steps);
            long resumed = System.nanoTime();
            System.out.printf("TIMING health sge: ECC written -> cryo_health 2 seen by qhost %.2f s, -> context file %.2f s,"
                    + " -> cr_run restarting on the other host %.2f s, -> a step done there %.2f s%n", seconds(reportedAt, start),
                    seconds(checkpointedAt, start), seconds(restartedAt, start), seconds(resumed, start));
            assertNotEquals(from, SgeCluster.hostOf(jobId), "rerun on the other host");
            SgeCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS);
        } finally {
            restoreGlobalSensors(qconf, globalSensors);
            SgeCluster.execute(Path.of("/"), List.of("qconf", "-rattr", "queue", "suspend_thresholds", "NONE", "all.q"), Map.of());
            SgeCluster.execute(Path.of("/"), List.of("qconf", "-rattr", "queue", "suspend_interval", interval, "all.q"), Map.of());
            for (String host : SgeCluster.hosts()) {
                SgeCluster.execute(Path.of("/"), List.of("qmod", "-usq", "all.q@" + host), Map.of());
            }
            Files.deleteIfExists(SENSOR_ENV);
            if (jobId != null) {
                SgeCluster.cleanUp(jobId);
            }
        }
    }

    private static double seconds(long at, long start) {
        return at == 0 ? Double.NaN : (at - start) / 1e9;
    }

    /** The host's cryo_health as qhost shows it ("" when not reported). */
    private static String reported(String host) {
        try {
            String out = SgeCluster.execute(Path.of("/"), List.of("qhost", "-F", "cryo_health", "-h", host), Map.of()).output();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("cryo_health=(\\d+)").matcher(out);
            return m.find() ? m.group(1) : "";
        } catch (Exception e) {
            return "";
        }
    }

    private static void restoreGlobalSensors(SgeCommands qconf, String sensors) throws Exception {
        String global = org.cryo.sge.HealthLoadSensorInstaller.joined(qconf.run("qconf", "-sconf", "global").text());
        StringBuilder text = new StringBuilder();
        for (String line : global.split("\n")) {
            text.append(line.startsWith("load_sensor ") ? "load_sensor " + sensors : line).append('\n');
        }
        Path tmp = Files.createTempDirectory("cryo-sge-restore");
        Files.writeString(tmp.resolve("global"), text);
        SgeCluster.execute(Path.of("/"), List.of("qconf", "-Mconf", tmp.resolve("global").toString()), Map.of());
        Files.delete(tmp.resolve("global"));
        Files.delete(tmp);
    }
}
