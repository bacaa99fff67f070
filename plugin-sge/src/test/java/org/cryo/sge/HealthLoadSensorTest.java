package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.health.SysfsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grid Engine load sensor speaks execd's protocol (a line in, begin/HOST:cryo_health:N/end
 * out, quit ends it) and reports the health level of a fixture tree, with history between
 * reports, so the ECC rate shows as evacuate (2) at the report after the errors.
 */
class HealthLoadSensorTest {
    private static final Path HOME = Path.of(System.getProperty("cryo.home", "..")).toAbsolutePath().normalize();

    @TempDir
    Path work;

    @Test
    void itAnswersEachLoadReportWithTheHealthLevelAndEndsOnQuit() throws Exception {
        SysfsFixture tree = new SysfsFixture(work.resolve("sys")).edacDimm(0, 0, 7, 0);
        ProcessBuilder builder = new ProcessBuilder(HOME.resolve("plugin-sge/bin/cryo-health-load-sensor").toString());
        builder.environment().put("CRYO_HEALTH_ROOT", tree.root().toString());
        builder.environment().put("CRYO_HEALTH_STATE", work.resolve("state/state.json").toString());
        builder.environment().put("CRYO_HEALTH_HOST", "exec1.cluster");
        builder.environment().put("CRYO_HEALTH_LOG", work.resolve("sensor.log").toString());
        Process sensor = builder.redirectErrorStream(true).start();
        try (Writer in = new java.io.OutputStreamWriter(sensor.getOutputStream(), StandardCharsets.UTF_8);
             BufferedReader out = new BufferedReader(new InputStreamReader(sensor.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals(List.of("begin", "exec1.cluster:cryo_health:0", "end"), report(in, out));
            tree.edacDimm(0, 0, 400, 0);
            assertEquals(List.of("begin", "exec1.cluster:cryo_health:2", "end"), report(in, out));
            in.write("quit\n");
            in.flush();
            assertTrue(sensor.waitFor(30, TimeUnit.SECONDS), "quit ends the sensor");
            assertEquals(0, sensor.exitValue());
        } finally {
            sensor.destroyForcibly();
        }
    }

    private static List<String> report(Writer in, BufferedReader out) throws Exception {
        in.write("\n");
        in.flush();
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            if (line.equals("end")) {
                break;
            }
        }
        return lines;
    }
}
