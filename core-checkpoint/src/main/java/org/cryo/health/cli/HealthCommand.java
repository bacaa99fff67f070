package org.cryo.health.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.health.CheckpointTime;
import org.cryo.health.Decision;
import org.cryo.health.Finding;
import org.cryo.health.HealthPolicy;
import org.cryo.health.HealthSetup;
import org.cryo.health.NodeActions;
import org.cryo.health.NodeHealth;
import org.cryo.health.Series;
import org.cryo.health.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** cryo health: the node's verdict now, and why; optionally acting on it once (Slurm's HealthCheckProgram). */
@Command(name = "health", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo health - is this node about to fail? (fault precursors and the site's policy)",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Reads the node's fault precursors (EDAC memory errors, PCIe AER, InfiniBand and Ethernet",
            "  errors, hwmon and thermal-zone temperatures, fans, rasdaemon, nvidia-smi, NVIDIA XIDs), applies the",
            "  policy (--config; defaults in docs/HEALTH.md) and prints the level: ok, warn (stop placing",
            "  work), evacuate (move the checkpointable jobs now) or fail (too late to checkpoint).",
            "  Rates and trends need history: it is kept in --state between runs.",
            "  --act (--slurm-check: the same for Slurm, as HealthCheckProgram) drains the node on warn,",
            "  drains it and migrates its checkpointable jobs on evacuate, requeues them on fail.",
            "",
            "  Exit status: 0 the check ran (whatever the level), 1 usage or policy error, 2 acting failed.",
        })
public final class HealthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
            description = "Read sysfs under DIR (a fixture tree laid out as the kernel's; default: /).")
    Path root;

    @Option(names = "--config", paramLabel = "FILE", description = "The policy (default: /etc/cryo/health.conf if it exists).")
    Path config;

    @Option(names = "--state", paramLabel = "FILE",
            description = "History kept between runs (default for root: /var/lib/cryo/health/state.json).")
    Path state;

    @Option(names = "--no-state", description = "Keep no history (rates then count from this run only).")
    boolean noState;

    @Option(names = "--explain", description = "Print every reading and what the policy made of it.")
    boolean explain;

    @Option(names = "--dry-run", description = "With --act: say what would be done, change nothing.")
    boolean dryRun;

    @Option(names = "--act", description = "Act on the verdict through the scheduler (--scheduler).")
    boolean act;

    @Option(names = "--slurm-check", description = "Slurm's HealthCheckProgram: --act --scheduler slurm.")
    boolean slurmCheck;

    @Option(names = "--scheduler", paramLabel = "NAME", description = "The scheduler to act through (slurm, gridengine, pbs).")
    String scheduler;

    @Option(names = "--node", paramLabel = "NODE", description = "This node's name in the scheduler (default: the short host name).")
    String node;

    @Option(names = "--value", description = "Print only the level as a number (0 ok, 1 warn, 2 evacuate, 3 fail): a load sensor's value.")
    boolean value;

    @Override
    public Integer call() throws Exception {
        HealthPolicy policy = HealthSetup.policy(config != null ? config : HealthSetup.DEFAULT_CONFIG, dryRun);
        NodeHealth health = HealthSetup.health(policy, root);
        Path stateFile = noState ? null : state != null ? state
                : System.getProperty("user.name").equals("root") ? HealthSetup.DEFAULT_STATE_DIR.resolve("state.json") : null;
        HealthSetup.loadState(health, stateFile);
        String here = node != null ? node : HealthSetup.localNode();
        CheckpointTime.Estimate checkpointTime = checkpointTime(policy, here);
        Verdict verdict = health.poll(System.currentTimeMillis(), checkpointTime.time());
        HealthSetup.saveState(health, stateFile);
        PrintWriter out = spec.commandLine().getOut();
        if (value) {
            out.println(verdict.level().ordinal());
            return 0;
        }
        out.println(verdict.level() == org.cryo.health.Level.OK && verdict.raw() == org.cryo.health.Level.OK ? "ok"
                : verdict.reason().replaceFirst("^cryo health ", ""));
        if (explain) {
            explain(out, health, verdict);
            out.println("checkpoint.time (the temperature trend's lead): " + checkpointTime.explanation());
        }
        out.flush();
        if (act || slurmCheck) {
            return actOn(verdict, out);
        }
        return 0;
    }

    /**
     * With --explain, measured from the node's jobs through the scheduler (--scheduler,
     * --slurm-check, or the one adapter installed); else configured: the one-shot checks that run
     * every minute or so (HealthCheckProgram, the load sensor, the PBS hook) ask the scheduler
     * nothing more than before, and the agent measures for itself.
     */
    private CheckpointTime.Estimate checkpointTime(HealthPolicy policy, String here) {
        String name = slurmCheck ? "slurm" : scheduler;
        if (!explain || value) {
            return CheckpointTime.Estimate.configured(policy.checkpointTime(), "a one-shot check without --explain");
        }
        try {
            return CheckpointTime.of(HealthSetup.scheduler(name, CryoConfig.effectiveEnvironment()), here,
                    policy.checkpointTime());
        } catch (org.cryo.scheduler.SchedulerException | RuntimeException e) {
            return CheckpointTime.Estimate.configured(policy.checkpointTime(), "the node's jobs not read: " + e.getMessage());
        }
    }

    private int actOn(Verdict verdict, PrintWriter out) throws Exception {
        String name = slurmCheck ? "slurm" : scheduler;
        String here = node != null ? node : HealthSetup.localNode();
        NodeActions actions = new NodeActions(HealthSetup.scheduler(name, CryoConfig.effectiveEnvironment()), here, "cryo health on " + here,
                dryRun);
        Decision decision = actions.act(verdict, System.currentTimeMillis());
        if (decision == null) {
            return 0;
        }
        out.println(decision.action() + ": " + decision.outcome());
        for (Decision.JobOutcome job : decision.jobs()) {
            out.println("  job " + job.jobId() + ": " + job.outcome() + (job.context() != null ? " (" + job.context() + ")" : ""));
        }
        out.flush();
        return decision.failed() ? 2 : 0;
    }

    private static void explain(PrintWriter out, NodeHealth health, Verdict verdict) {
        out.printf(Locale.ROOT, "level %s (the readings alone: %s; it falls only after %d polls lower)%n",
                verdict.level().label(), verdict.raw().label(), health.policy().hysteresisPolls());
        for (Finding finding : verdict.findings()) {
            out.println("  " + finding.level().label() + ": " + finding.describe());
        }
        out.println("readings (" + verdict.readings() + "):");
        for (Series s : health.series().values()) {
            if (s.latest() == null) {
                continue;
            }
            String detail;
            if (s.signal().counter()) {
                HealthPolicy.CounterRule rule = health.policy().counter(s.signal());
                detail = String.format(Locale.ROOT, "%d (+%d within %s; warn %s, evacuate %s)", (long) s.latest().value(),
                        (long) s.increaseWithin(rule.window().toMillis(), verdict.at()), HealthPolicy.format(rule.window()),
                        limit(rule.warn()), limit(rule.evacuate()));
            } else {
                detail = String.format(Locale.ROOT, "%.1f%s%s", s.latest().value(),
                        Double.isNaN(s.max()) ? "" : String.format(Locale.ROOT, ", max %.1f", s.max()),
                        Double.isNaN(s.crit()) ? "" : String.format(Locale.ROOT, ", crit %.1f", s.crit()));
            }
            out.println("  " + s.signal().key() + " " + s.name() + ": " + detail);
        }
        if (!health.missing().isEmpty()) {
            out.println("not on this node: " + String.join(", ", health.missing()));
        }
    }

    private static String limit(long value) {
        return value == 0 ? "off" : Long.toString(value);
    }
}
