package org.cryo.health;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.cryo.health.monitor.SysfsTree;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapterProvider;
import org.cryo.scheduler.SchedulerException;

/** What {@code cryo health} and {@code cryo agent} share: policy, tree, saved state, the adapter. */
public final class HealthSetup {
    /** The site's policy file, when none is named. */
    public static final Path DEFAULT_CONFIG = Path.of("/etc/cryo/health.conf");
    /** Where root's one-shot checks keep their history and the agent its journal. */
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/cryo/health");

    private HealthSetup() {
    }

    public static HealthPolicy policy(Path config, boolean dryRun) throws IOException {
        HealthPolicy policy = HealthPolicy.load(config);
        return dryRun ? policy.with(Map.of("dry_run", "true")) : policy;
    }

    public static NodeHealth health(HealthPolicy policy, Path root) {
        return new NodeHealth(policy, new SysfsTree(root, new Notices(System.err)));
    }

    /** Loads the history a previous one-shot check saved ({@code null}: none). */
    public static void loadState(NodeHealth health, Path file) {
        if (file != null) {
            SavedState.load(health, file);
        }
    }

    public static void saveState(NodeHealth health, Path file) throws IOException {
        if (file != null) {
            PrivateFiles.directory(file.toAbsolutePath().getParent());
            SavedState.save(health, file);
        }
    }

    /** The scheduler's workflows, through its provider (ServiceLoader). */
    public static JobControl scheduler(String name, Map<String, String> environment) throws SchedulerException {
        if (name == null) {
            var providers = SchedulerAdapterProvider.all();
            if (providers.size() != 1) {
                throw new SchedulerException("name the scheduler with --scheduler ("
                        + String.join(", ", providers.stream().map(SchedulerAdapterProvider::scheduler).toList()) + ")");
            }
            name = providers.get(0).scheduler();
        }
        return JobControl.open(name, environment);
    }

    /** This node's name as the scheduler knows it (the short host name). */
    public static String localNode() {
        return NodeExecutor.localHostName();
    }
}
