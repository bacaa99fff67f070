package org.cryo.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cryo.engine.CryoHome;

/**
 * Runs site/browser-tests/console.test.mjs (headless Debian chromium, playwright-core from
 * {@code npm ci}) on a configuration the test wrote, and gives back what it printed; fails with
 * its output unless it exited 0.  Screenshots go to site/target/screenshots.
 */
public final class BrowserRuns {
    private BrowserRuns() {
    }

    static Path tests() {
        return CryoHome.find().orElseThrow().resolve("site/browser-tests");
    }

    public static Path screenshots() {
        return CryoHome.find().orElseThrow().resolve("site/target/screenshots");
    }

    public static List<String> run(ObjectNode config, Path work, long timeoutSeconds) throws Exception {
        assertTrue(Files.isDirectory(tests().resolve("node_modules/playwright-core")),
                "playwright-core is not installed: run 'npm ci' in " + tests() + " (scripts/test-all.sh does)");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "Debian's chromium is not installed (apt-get install chromium)");
        config.put("screenshots", screenshots().toString());
        Path file = work.resolve("browser-config.json");
        Files.writeString(file, ConsoleFixture.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        Path output = work.resolve("browser-output.txt");
        Process node = new ProcessBuilder("node", "console.test.mjs", file.toString()).directory(tests().toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            if (!node.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                node.descendants().forEach(ProcessHandle::destroyForcibly);
                node.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                throw new AssertionError("the browser test did not finish within " + timeoutSeconds + " s:\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
        } finally {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
        }
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println(printed);
        assertEquals(0, node.exitValue(), printed);
        return List.of(printed.split("\n"));
    }
}
