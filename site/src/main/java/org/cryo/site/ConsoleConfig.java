package org.cryo.site;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.api.Checkpointer;
import org.cryo.health.HealthPolicy;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;

/**
 * How a console runs: where it listens, the scheduler's adapter (chosen by name through the SPI)
 * with the environment it was configured from, the engine and the way to the nodes (as the
 * command line's {@code JobControl} uses them), the node agents, how users sign in, the audit
 * log, the health policy (the charts' limits), the repository for {@code /docs}, and how often
 * the agents are asked.
 */
record ConsoleConfig(InetSocketAddress listen, SchedulerAdapter adapter, Map<String, String> environment,
                     Checkpointer engine, NodeExecutor nodes, List<AgentClient> agents, SlurmJwt jwt,
                     String proxyHeader, Set<InetAddress> proxies, Path auditLog, HealthPolicy policy, Path docsRoot,
                     Duration poll) {
    ConsoleConfig {
        environment = Map.copyOf(environment);
        agents = List.copyOf(agents);
        proxies = Set.copyOf(proxies);
        if (jwt == null && proxyHeader == null) {
            throw new IllegalArgumentException("no way to sign in: give --jwt-key (Slurm's JWT key) or --proxy-header");
        }
        if (proxyHeader != null && proxies.isEmpty()) {
            throw new IllegalArgumentException("--proxy-header needs --proxy-from: the addresses of the trusted proxies");
        }
    }
}
