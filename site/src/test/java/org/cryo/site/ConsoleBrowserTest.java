package org.cryo.site;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.NodeExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's pages in headless chromium, over two real agents that act (fixture sysfs trees)
 * and a real job the engine checkpointed: sign-in with a Slurm token, the cluster and jobs pages,
 * an unauthorised and an unauthenticated action refused with a clear message and nothing changed,
 * keyboard navigation, every page at 1366x768 and 3840x2160 without console errors, and a node
 * whose ECC counters rise turning at-risk while the journal shows its agent moving the job.
 * The same runs against the real Slurm cluster in ConsoleSlurmBrowserTest: this one runs where that
 * cluster is not up (a developer's machine), not twice in the suite.
 */
class ConsoleBrowserTest {
    @TempDir
    Path work;
    private ConsoleFixture fixture;
    private Process process;

    @org.junit.jupiter.api.BeforeEach
    void whereTheSlurmClusterIsNotUp() {
        org.junit.jupiter.api.Assumptions.assumeFalse(SlurmCluster.isUp(),
                "the Slurm cluster is up: ConsoleSlurmBrowserTest runs these steps there");
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void thePagesShowTheClusterAndRefuseWhatTheUserMayNotDo() throws Exception {
        // the first node is this host: the job's recorded process runs here, so its agent can move it
        String here = NodeExecutor.localHostName();
        fixture = new ConsoleFixture(work, List.of(here, "n2"), Set.of(), true, Duration.ofMillis(500));
        fixture.scheduler.operators.add("oper");
        Path catalog = Files.createDirectories(work.resolve("catalog"));
        fixture.scheduler.add("7", "root", here, catalog);
        JobDirectory seven = JobCatalog.at(catalog, Map.of()).job("7", "root").create();
        process = fixture.checkpointedCountingJob(seven, work);

        ObjectNode config = ConsoleFixture.JSON.createObjectNode();
        config.put("url", "http://127.0.0.1:" + fixture.console.port());
        config.putObject("tokens").put("stranger", fixture.token("alice")).put("operator", fixture.token("oper"));
        config.putObject("users").put("stranger", "alice").put("operator", "oper");
        config.putArray("nodes").add(here).add("n2");
        config.put("job", "7");
        config.put("riskNode", here);
        config.put("eccRaiseTo", 500);
        Path edac = fixture.trees.get(0).root().resolve("sys/devices/system/edac/mc/mc0");
        config.putArray("eccFiles").add(edac.resolve("ce_count").toString()).add(edac.resolve("dimm0/dimm_ce_count").toString());
        var steps = config.putArray("steps");
        List.of("sign-in-stranger", "cluster", "job-age", "refused", "keyboard", "sign-out", "sign-in-operator", "pages",
                "at-risk").forEach(steps::add);

        List<String> out = BrowserRuns.run(config, work, 600);
        assertTrue(out.stream().anyMatch(l -> l.startsWith("ok - no console errors")), out.toString());
        assertFalse(seven.isDisabled(), "the refused action changed nothing");
        assertTrue(Files.readString(fixture.audit).contains("refused: permission denied: job 7"));
        for (String page : List.of("cluster", "cluster-3840", "jobs", "job-checkpoints", "activity", "docs", "refused")) {
            assertTrue(Files.size(BrowserRuns.screenshots().resolve(page + ".png")) > 0, page);
        }
    }
}
