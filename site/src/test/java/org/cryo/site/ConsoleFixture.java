package org.cryo.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.api.Checkpointer;
import org.cryo.engine.CryoHome;
import org.cryo.health.AgentAccess;
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
import org.cryo.scheduler.NodeExecutor;

/**
 * A console over real node agents (each over a fixture sysfs tree, serving its real HTTP API) and
 * the test's {@link FixtureScheduler}, with a random JWT key; HTTP helpers that sign in as anyone.
 */
final class ConsoleFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final Path home = CryoHome.find().orElseThrow();
    final FixtureScheduler scheduler = new FixtureScheduler();
    final SlurmJwt jwt;
    final List<SysfsFixture> trees = new ArrayList<>();
    final List<NodeAgent> agents = new ArrayList<>();
    private final List<AgentHttp> agentServers = new ArrayList<>();
    /** The agents' bearer token, as a site deploys it: the console sends it, /decisions needs it. */
    static final String AGENT_TOKEN = "console-fixture-token-" + Long.toHexString(new SecureRandom().nextLong()) + "-0123456789";
    static final AgentAccess AGENT_ACCESS = AgentAccess.of(Set.of("health", "metrics"), AGENT_TOKEN);
    final ConsoleServer console;
    final Path audit;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** {@code nodes} dry-run nodes named n1, n2, ...; proxy header "X-Remote-User" trusted from {@code proxies}. */
    ConsoleFixture(Path work, int nodes, Set<InetAddress> proxies) throws Exception {
        this(work, names(nodes), proxies, false, Duration.ofMillis(300));
    }

    static List<String> names(int nodes) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            names.add("n" + i);
        }
        return names;
    }

    /**
     * {@code acting}: the agents act (drain, evacuate) and poll on their own every 500 ms, else
     * they are dry runs polled by the test; the console asks them every {@code poll}.
     */
    ConsoleFixture(Path work, List<String> nodes, Set<InetAddress> proxies, boolean acting, Duration poll) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path keyFile = Files.write(Files.createDirectories(work).resolve("jwt_hs256.key"), key);
        jwt = SlurmJwt.fromKeyFile(keyFile);
        HealthPolicy policy = HealthPolicy.with(Map.of("monitors", "edac, hwmon", "dry_run", Boolean.toString(!acting),
                "memory.corrected.evacuate", "200", "memory.corrected.warn", "50"), "test");
        List<AgentClient> clients = new ArrayList<>();
        for (String node : nodes) {
            SysfsFixture tree = new SysfsFixture(Files.createDirectories(work.resolve("sys-" + node)))
                    .edacDimm(0, 0, 0, 0).hwmonTemp(0, 1, 50, 85, 95);
            JobControl control = new JobControl(scheduler, Map.of(), Checkpointer.create(home),
                    NodeExecutor.configured(Map.of()), "root");
            NodeAgent agent = new NodeAgent(new NodeHealth(policy, new SysfsTree(tree.root(), new Notices(null))),
                    new NodeActions(control, node, "agent on " + node, !acting), Journal.in(work.resolve("journal-" + node)));
            if (acting) {
                agent.start(Duration.ofMillis(500));
            } else {
                agent.pollOnce();
            }
            AgentHttp server = AgentHttp.start(agent, new InetSocketAddress("127.0.0.1", 0), AGENT_ACCESS);
            trees.add(tree);
            agents.add(agent);
            agentServers.add(server);
            clients.add(new AgentClient(node, URI.create("http://127.0.0.1:" + server.port()), java.util.Optional.of(AGENT_TOKEN)));
        }
        audit = work.resolve("audit/console-audit.jsonl");
        console = ConsoleServer.start(new ConsoleConfig(new InetSocketAddress("127.0.0.1", 0), scheduler, Map.of(),
                Checkpointer.create(home), NodeExecutor.configured(Map.of()), clients, jwt,
                proxies.isEmpty() ? null : "X-Remote-User", proxies, audit, policy, home, poll));
    }

    /**
     * Starts the counting job (python3), records it in {@code dir} as the job's process on this
     * host, and has the engine checkpoint it there once it is at work; returns the process (the
     * caller ends it).
     */
    Process checkpointedCountingJob(org.cryo.scheduler.JobDirectory dir, Path work) throws Exception {
        Path progress = work.resolve("progress.txt");
        Process process = new ProcessBuilder("/usr/bin/python3", org.cryo.testsupport.CountingJob.program(home).toString(),
                progress.toString(), "100000", "0.05").redirectErrorStream(true)
                .redirectOutput(work.resolve("job.out").toFile()).start();
        dir.recordProcess(new org.cryo.scheduler.JobProcess(process.pid(), NodeExecutor.localHostName(), "0", false));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (org.cryo.testsupport.CountingJob.stepsDone(progress) < 1 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Path file = dir.nextContext();
        Checkpointer.create(home).checkpoint(process.pid(), org.cryo.api.CheckpointOptions.builder().file(file)
                .endAction(org.cryo.api.EndAction.RUNNING).build());
        dir.commit(file);
        return process;
    }

    /** The HTTP API of the agent of node {@code index} (n1 is 0). */
    URI agentUri(int index) {
        return URI.create("http://127.0.0.1:" + agentServers.get(index).port());
    }

    String token(String user) {
        return jwt.issue(user, System.currentTimeMillis() / 1000, 600);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + console.port() + path);
    }

    HttpResponse<String> get(String path, String user) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET();
        if (user != null) {
            b.header("Authorization", "Bearer " + token(user));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String user, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            b.header("Authorization", "Bearer " + token(user));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Override
    public void close() {
        console.close();
        agentServers.forEach(AgentHttp::close);
        agents.forEach(NodeAgent::close);
    }
}
