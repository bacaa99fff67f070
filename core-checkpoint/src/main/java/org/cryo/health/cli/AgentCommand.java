package org.cryo.health.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cryo.config.CryoConfig;
import org.cryo.health.AgentAccess;
import org.cryo.health.AgentHttp;
import org.cryo.health.HealthPolicy;
import org.cryo.health.HealthSetup;
import org.cryo.health.Journal;
import org.cryo.health.NodeActions;
import org.cryo.health.NodeAgent;
import org.cryo.health.NodeHealth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo agent: the node agent (a long-running service; systemd unit in scripts/health/cryo-agent.service). */
@Command(name = "agent", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo agent - watch this node and move its jobs off before it fails",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Polls the node's fault precursors every poll.interval (policy file, default 30s), applies",
            "  the policy and acts through the scheduler: warn drains the node; evacuate drains it and",
            "  checkpoints and requeues its checkpointable jobs, which the scheduler starts on nodes not",
            "  drained; fail requeues them to restart from their latest periodic checkpoints. A failure",
            "  (the scheduler down) is retried with backoff. Decisions go to DIR/journal.jsonl. Serves",
            "  GET /health, /decisions, /jobs (JSON) and /metrics (Prometheus) on --listen; /jobs and",
            "  /decisions only with the bearer token of agent.token.file (cryo.conf), /health and /metrics",
            "  as agent.api.open says (default: without it).",
            "  Runs until SIGTERM. Without systemd: 'nohup cryo agent ... >>/var/log/cryo-agent.log 2>&1 &'.",
        })
public final class AgentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/", description = "Read sysfs under DIR (default: /).")
    Path root;

    @Option(names = "--config", paramLabel = "FILE", description = "The policy (default: /etc/cryo/health.conf if it exists).")
    Path config;

    @Option(names = "--scheduler", paramLabel = "NAME", description = "The scheduler to act through (slurm, gridengine, pbs).")
    String scheduler;

    @Option(names = "--node", paramLabel = "NODE", description = "This node's name in the scheduler (default: the short host name).")
    String node;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:9797",
            description = "The HTTP API's address (default: ${DEFAULT-VALUE}; 'none': no API).")
    String listen;

    @Option(names = "--journal", paramLabel = "DIR", description = "The journal's directory (default: /var/lib/cryo/health).")
    Path journal;

    @Option(names = "--dry-run", description = "Log what would be done; drain, move and requeue nothing.")
    boolean dryRun;

    @Option(names = "--interval", paramLabel = "TIME", description = "Poll interval (overrides poll.interval: 30s, 1m).")
    String interval;

    @Override
    public Integer call() throws Exception {
        HealthPolicy policy = HealthSetup.policy(config != null ? config : HealthSetup.DEFAULT_CONFIG, dryRun);
        Duration every = interval != null ? HealthPolicy.parseDuration("--interval", interval) : policy.pollInterval();
        NodeHealth health = HealthSetup.health(policy, root);
        String here = node != null ? node : HealthSetup.localNode();
        NodeActions actions = new NodeActions(HealthSetup.scheduler(scheduler, CryoConfig.effectiveEnvironment()), here,
                "cryo agent on " + here, policy.dryRun());
        NodeAgent agent = new NodeAgent(health, actions,
                Journal.in(journal != null ? journal : HealthSetup.DEFAULT_STATE_DIR));
        AgentAccess access = AgentAccess.configured(CryoConfig.effectiveEnvironment());
        AgentHttp http = listen.equals("none") ? null : AgentHttp.start(agent, address(listen), access);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            if (http != null) {
                http.close();
            }
            stopped.countDown();
        }));
        agent.start(every);
        System.err.println("cryo agent: node " + here + ", every " + HealthPolicy.format(every)
                + (policy.dryRun() ? ", dry run" : "") + (http != null ? ", http://" + listen : "")
                + ", journal " + agent.journal().file());
        if (http != null && !access.hasToken()) {
            System.err.println("cryo agent: no token in " + AgentAccess.tokenFile(CryoConfig.effectiveEnvironment())
                    + ": only the open endpoints answer (docs/HEALTH.md)");
        }
        stopped.await();
        return 0;
    }

    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0 || !text.substring(colon + 1).matches("\\d{1,5}")) {
            throw new IllegalArgumentException("--listen: not ADDR:PORT: '" + org.cryo.api.SafeText.escape(text) + "'");
        }
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }
}
