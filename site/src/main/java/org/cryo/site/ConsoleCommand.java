package org.cryo.site;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cryo.config.CryoConfig;
import org.cryo.api.Checkpointer;
import org.cryo.api.SafeText;
import org.cryo.engine.CryoHome;
import org.cryo.health.AgentAccess;
import org.cryo.health.HealthPolicy;
import org.cryo.health.HealthSetup;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapterProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** cryo console: the operator's console (a long-running web server). */
@Command(name = "console", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo console - the cluster's checkpointable work, node health and migrations in a browser",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Serves the console on --listen (default 127.0.0.1, --port 8780): the nodes with their health",
            "  level and precursor charts (from each node's 'cryo agent', --agent NODE=URL), the jobs with",
            "  their checkpoints, a live activity journal, and the documentation under /docs. Users sign in",
            "  with a Slurm token ('scontrol token'; --jwt-key: the cluster's jwt_hs256.key) or come through a",
            "  trusted reverse proxy (--proxy-header NAME --proxy-from ADDR). Actions (checkpoint, vacate,",
            "  restart, enable/disable, migrate, drain, resume) are allowed to whom 'cryo job' allows them",
            "  (owner, root, the scheduler's operators) and logged to --audit (0600). Runs until SIGTERM.",
        })
public final class ConsoleCommand implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "N", defaultValue = "8780", description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--listen", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; a proxy in front serves others).")
    String listen;

    @Option(names = "--scheduler", paramLabel = "NAME", description = "The scheduler (slurm, gridengine, pbs; default: the only adapter).")
    String scheduler;

    @Option(names = "--agent", paramLabel = "NODE=URL", required = true,
            description = "A node and its agent's API (repeat: --agent node1=http://node1:9797).")
    List<String> agents = new ArrayList<>();

    @Option(names = "--jwt-key", paramLabel = "FILE", description = "Slurm's JWT key (AuthAltParameters=jwt_key=FILE).")
    Path jwtKey;

    @Option(names = "--proxy-header", paramLabel = "NAME", description = "The trusted proxy's user header (e.g. X-Forwarded-User); off by default.")
    String proxyHeader;

    @Option(names = "--proxy-from", paramLabel = "ADDR", description = "An address of the trusted proxy (repeat).")
    List<String> proxyFrom = new ArrayList<>();

    @Option(names = "--audit", paramLabel = "FILE", defaultValue = "/var/log/cryo/console-audit.jsonl",
            description = "The audit log (default: ${DEFAULT-VALUE}).")
    Path audit;

    @Option(names = "--config", paramLabel = "FILE", description = "The health policy, for the charts' limits (default: /etc/cryo/health.conf if it exists).")
    Path config;

    @Option(names = "--poll", paramLabel = "TIME", defaultValue = "10s", description = "How often the agents are asked (default: ${DEFAULT-VALUE}).")
    String poll;

    @Override
    public Integer call() throws Exception {
        Map<String, String> environment = CryoConfig.effectiveEnvironment();
        Path home = CryoHome.find().orElseThrow(() -> new IllegalArgumentException(
                "cannot find the Cryo installation: set " + CryoHome.ENVIRONMENT));
        ConsoleConfig settings = new ConsoleConfig(new InetSocketAddress(listen, port),
                adapterProvider().create(environment), environment, Checkpointer.create(home),
                NodeExecutor.configured(environment),
                agentClients(agents, AgentAccess.readToken(AgentAccess.tokenFile(environment))),
                jwtKey == null ? null : SlurmJwt.fromKeyFile(jwtKey), proxyHeader, addresses(proxyFrom), audit,
                HealthSetup.policy(config != null ? config : HealthSetup.DEFAULT_CONFIG, false),
                Files.isRegularFile(home.resolve("README.md")) ? home : null, HealthPolicy.parseDuration("--poll", poll));
        ConsoleServer console = ConsoleServer.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.close();
            stopped.countDown();
        }));
        System.err.println("cryo console: http://" + listen + ":" + console.port() + "/ (" + settings.agents().size()
                + " node" + (settings.agents().size() == 1 ? "" : "s") + ", audit " + audit + ")");
        stopped.await();
        return 0;
    }

    private SchedulerAdapterProvider adapterProvider() throws org.cryo.scheduler.SchedulerException {
        if (scheduler != null) {
            return SchedulerAdapterProvider.find(scheduler);
        }
        List<SchedulerAdapterProvider> all = SchedulerAdapterProvider.all();
        if (all.size() != 1) {
            throw new IllegalArgumentException("name the scheduler with --scheduler ("
                    + String.join(", ", all.stream().map(SchedulerAdapterProvider::scheduler).toList()) + ")");
        }
        return all.get(0);
    }

    static List<AgentClient> agentClients(List<String> specs, Optional<String> token) {
        List<AgentClient> clients = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String node = eq < 0 ? "" : spec.substring(0, eq);
            if (!node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}") || !names.add(node)) {
                throw new IllegalArgumentException("--agent: not NODE=URL (or the node twice): '" + SafeText.escape(spec) + "'");
            }
            URI url = URI.create(spec.substring(eq + 1));
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("--agent " + node + ": not an http(s) URL: '" + SafeText.escape(url.toString()) + "'");
            }
            clients.add(new AgentClient(node, url, token));
        }
        return clients;
    }

    private static Set<InetAddress> addresses(List<String> texts) throws java.net.UnknownHostException {
        Set<InetAddress> all = new LinkedHashSet<>();
        for (String text : texts) {
            all.add(InetAddress.getByName(text));
        }
        return all;
    }

}
