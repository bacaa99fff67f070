package org.cryo.site;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.api.Checkpointer;
import org.cryo.health.HealthPolicy;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;

/** For the tests of other packages (the Slurm cluster's): a console over given agents, signing in with Slurm's key. */
public final class ConsoleForTests {
    private ConsoleForTests() {
    }

    /** {@code agents}: node name to the agent's URL (each serving with {@link ConsoleFixture#AGENT_ACCESS}). */
    public static ConsoleServer start(SchedulerAdapter adapter, Map<String, String> environment, Path home,
                                      Map<String, URI> agents, Path jwtKey, Path audit, HealthPolicy policy)
            throws Exception {
        List<AgentClient> clients = new ArrayList<>();
        agents.forEach((node, url) -> clients.add(new AgentClient(node, url, java.util.Optional.of(ConsoleFixture.AGENT_TOKEN))));
        return ConsoleServer.start(new ConsoleConfig(new InetSocketAddress("127.0.0.1", 0), adapter, environment,
                Checkpointer.create(home), NodeExecutor.configured(environment), clients, SlurmJwt.fromKeyFile(jwtKey),
                null, Set.of(), audit, policy, home, Duration.ofSeconds(1)));
    }
}
