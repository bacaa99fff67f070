package org.cryo.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page-load time of the cluster and jobs pages with 100 nodes (100 real agents, each serving
 * its HTTP API over a fixture tree) and 1,000 jobs (10 a node, each with a context file in its
 * catalog), through the real API and a real browser.  Measured and printed (TIMING), never
 * asserted: the machine is shared.  Not in the suite (over two minutes here, beyond the console's
 * share of the suite's time): {@code mvn -B -o -pl site -am test -Dtest=ConsoleLoadTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dcryo.console.load=true}.
 */
@org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "cryo.console.load", matches = "true")
class ConsoleLoadTest {
    private static final int NODES = 100;
    private static final int JOBS_PER_NODE = 10;

    @TempDir
    Path work;

    @Test
    void thePagesLoadWithAThousandJobsOnAHundredNodes() throws Exception {
        try (ConsoleFixture fixture = new ConsoleFixture(work, ConsoleFixture.names(NODES), Set.of(), false,
                Duration.ofSeconds(5))) {
            Path catalog = Files.createDirectories(work.resolve("catalog"));
            JobCatalog jobs = JobCatalog.at(catalog, Map.of());
            byte[] context = new byte[64 * 1024];
            for (int n = 1; n <= NODES; n++) {
                for (int j = 0; j < JOBS_PER_NODE; j++) {
                    String id = Integer.toString(1000 + (n - 1) * JOBS_PER_NODE + j);
                    fixture.scheduler.add(id, j % 3 == 0 ? "root" : "nobody", "n" + n, catalog);
                    JobDirectory dir = jobs.job(id, j % 3 == 0 ? "root" : "nobody").create();
                    Path file = dir.nextContext();
                    Files.write(file, context);
                    dir.commit(file);
                }
            }
            long start = System.nanoTime();
            var listed = ConsoleFixture.json(fixture.get("/api/jobs", "root"));
            long jobsMillis = (System.nanoTime() - start) / 1_000_000;
            start = System.nanoTime();
            var cluster = ConsoleFixture.json(fixture.get("/api/cluster", "root"));
            long clusterMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(NODES * JOBS_PER_NODE, listed.path("total").asInt());
            assertEquals(JobsPage.DEFAULT_LIMIT, listed.path("jobs").size(), "the first page");
            assertEquals(NODES, cluster.path("nodes").size());

            ObjectNode config = ConsoleFixture.JSON.createObjectNode();
            config.put("url", "http://127.0.0.1:" + fixture.console.port());
            config.putObject("tokens").put("operator", fixture.token("root"));
            config.putObject("users").put("operator", "root");
            config.putObject("expectRows").put("cluster", NODES).put("jobs", JobsPage.DEFAULT_LIMIT);
            config.putArray("steps").add("sign-in-operator").add("load");
            List<String> out = BrowserRuns.run(config, work, 600);
            System.out.printf("TIMING console API with %d nodes and %d jobs: GET /api/jobs %d ms, GET /api/cluster %d ms%n",
                    NODES, NODES * JOBS_PER_NODE, jobsMillis, clusterMillis);
            out.stream().filter(l -> l.startsWith("measure ")).forEach(l -> System.out.println("TIMING console page " + l));
            assertTrue(out.stream().filter(l -> l.startsWith("measure ")).count() == 2, out.toString());
        }
    }
}
