package org.cryo.site;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cryo.health.AgentHttp;
import org.cryo.health.HealthPolicy;
import org.cryo.health.Journal;
import org.cryo.health.NodeActions;
import org.cryo.health.NodeAgent;
import org.cryo.health.NodeHealth;
import org.cryo.health.Notices;
import org.cryo.health.SysfsFixture;
import org.cryo.health.monitor.SysfsTree;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console in headless chromium against the real Slurm 22.05 test cluster (scripts/slurm; by
 * hand under {@code flock /tmp/cryo-slurm.lock}) and a real agent per node (in this JVM, each over
 * its node's fixture sysfs tree, acting through the Slurm adapter), the console choosing the
 * adapter by name through the SPI: the cluster page lists both nodes; a job the test submits
 * appears with its checkpoint age; a user who is neither its owner nor an operator is refused, and
 * an unauthenticated action too, each with a clear message and nothing changed; raising the head
 * node's ECC counters turns it at-risk in the page and the journal shows its evacuation live until
 * the job runs on node2; the operator resumes the head node and "migrate node" on node2 moves the
 * job back; the cluster page shows each drained node's state as Slurm gives it, with its reason; the jobs
 * page shows the two restarts cr_run recorded (health, migrated) and where the job ran, its page
 * the history and the interval cr_run recorded.  Tokens are Slurm's own ({@code scontrol token}), verified with the cluster's key.
 */
class ConsoleSlurmBrowserTest {
    private final List<NodeAgent> agents = new ArrayList<>();
    private final List<AgentHttp> servers = new ArrayList<>();
    private ConsoleServer console;
    private String jobId;

    @BeforeEach
    void onTheSlurm2205Cluster() {
        Assumptions.assumeTrue(SlurmCluster.isUp(), "the Slurm 22.05 test cluster is not up (scripts/slurm/slurm-up.sh)");
        for (String node : SlurmCluster.nodes()) {
            SlurmCluster.quietly("update", "NodeName=" + node, "State=RESUME");   // as an earlier test may have left it
        }
    }

    @AfterEach
    void stopEverything() {
        if (console != null) {
            console.close();
        }
        servers.forEach(AgentHttp::close);
        agents.forEach(NodeAgent::close);
        if (jobId != null) {
            SlurmCluster.scancel(jobId);
        }
        for (String node : SlurmCluster.nodes()) {
            SlurmCluster.quietly("update", "NodeName=" + node, "State=RESUME");
        }
    }

    @Test
    void theConsoleShowsTheClusterAndMovesAJobInTheBrowser() throws Exception {
        List<String> nodes = SlurmCluster.nodes();
        String head = nodes.get(0);
        String node2 = nodes.get(1);
        Path dir = SlurmCluster.jobDir("console");
        Map<String, URI> urls = new LinkedHashMap<>();
        Map<String, SysfsFixture> trees = new LinkedHashMap<>();
        for (String node : nodes) {
            SysfsFixture tree = new SysfsFixture(Files.createDirectories(dir.resolve("sys-" + node))).edacDimm(0, 0, 0, 0)
                    .hwmonTemp(0, 1, 48, 85, 95);
            trees.put(node, tree);
            AgentHttp http = AgentHttp.start(agent(node, tree.root()), new InetSocketAddress("127.0.0.1", 0),
                    ConsoleFixture.AGENT_ACCESS);
            servers.add(http);
            urls.put(node, URI.create("http://127.0.0.1:" + http.port()));
        }
        Map<String, String> environment = SlurmCluster.environment();
        Path audit = dir.resolve("audit/console-audit.jsonl");
        console = ConsoleForTests.start(SchedulerAdapterProvider.find("slurm").create(environment), environment,
                SlurmCluster.HOME, urls, SlurmCluster.JWT_KEY, audit, policy());
        jobId = submitOnHead(dir, node2);

        ObjectNode config = ConsoleFixture.JSON.createObjectNode();
        config.put("url", "http://127.0.0.1:" + console.port());
        config.putObject("tokens").put("stranger", SlurmCluster.token("nobody")).put("operator", SlurmCluster.token("root"));
        config.putObject("users").put("stranger", "nobody").put("operator", "root");
        config.putArray("nodes").add(head).add(node2);
        config.put("job", jobId);
        config.put("checkpointWaitMillis", 120000);
        config.put("moveWaitMillis", 180000);
        config.put("riskNode", head);
        config.put("otherNode", node2);
        config.put("eccRaiseTo", 500);
        Path edac = trees.get(head).root().resolve("sys/devices/system/edac/mc/mc0");
        config.putArray("eccFiles").add(edac.resolve("ce_count").toString()).add(edac.resolve("dimm0/dimm_ce_count").toString());
        config.put("resumeNode", head);
        config.put("migrateNode", node2);
        config.put("migrateJob", jobId);
        config.put("migrateTo", head);
        config.putArray("historyReasons").add("health").add("migrated");
        config.put("intervalSeconds", 5);
        var steps = config.putArray("steps");
        List.of("sign-in-stranger", "cluster", "job-age", "refused", "keyboard", "sign-out", "sign-in-operator", "pages", "at-risk",
                "resume", "migrate", "history").forEach(steps::add);
        List<String> out = BrowserRuns.run(config, dir, 900);
        assertTrue(out.stream().anyMatch(l -> l.startsWith("ok - no console errors")), out.toString());
        assertTrue(SlurmCluster.runsOn(jobId, head), "the job runs on " + head + " again");
        String log = Files.readString(audit);
        assertTrue(log.contains("\"user\":\"nobody\"") && log.contains("refused: permission denied: job " + jobId), log);
        assertTrue(log.contains("\"action\":\"migrate\"") && log.contains("done: node " + node2 + " drained"), log);
    }

    private static HealthPolicy policy() {
        return HealthPolicy.with(Map.of("monitors", "edac, hwmon", "checkpoint.time", "5s", "scheduler.requeue_time", "10s"),
                "test");
    }

    private NodeAgent agent(String node, Path root) throws Exception {
        NodeHealth health = new NodeHealth(policy(), new SysfsTree(root, new Notices(System.out)));
        JobControl slurm = JobControl.open("slurm", SlurmCluster.environment());
        NodeAgent agent = new NodeAgent(health, new NodeActions(slurm, node, "console test agent on " + node, false),
                Journal.in(root.resolveSibling(root.getFileName() + "-journal")));
        agents.add(agent);
        return agent.start(Duration.ofSeconds(1));
    }

    /** A checkpointable job (periodic checkpoints every 5 s) placed on the head node: node2 drained while it starts. */
    private static String submitOnHead(Path dir, String node2) throws Exception {
        SlurmCluster.scontrol("update", "NodeName=" + node2, "State=DRAIN", "Reason=cryo test: placing");
        String id;
        try {
            id = SlurmCluster.sbatch(dir, SlurmCluster.checkpointableScript(dir, 3000, 0.2, "--checkpoint-interval=5s"));
            SlurmCluster.waitUntil("job " + id + " to start", 90, () -> {
                try {
                    return SlurmCluster.record(id, "JobState").equals("RUNNING");
                } catch (Exception | AssertionError e) {
                    return false;
                }
            });
        } finally {
            SlurmCluster.scontrol("update", "NodeName=" + node2, "State=RESUME");
        }
        return id;
    }
}
