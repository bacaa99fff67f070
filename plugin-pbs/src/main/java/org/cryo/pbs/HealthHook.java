package org.cryo.pbs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cryo.health.HealthPolicy;
import org.cryo.scheduler.SchedulerException;

/**
 * Cryo's health check as a PBS MoM periodic hook ({@code plugin-pbs/hooks/cryo_health.py}, event
 * {@code exechost_periodic}): the qmgr commands that install it and its settings (the hook's
 * configuration file, JSON).  The hook runs {@code cryo health --act --scheduler pbs} for its
 * MoM's vnode every {@code freq} seconds, the policy's {@code poll.interval}.  Its {@code alarm}
 * (PBS ends a hook that outlasts it; 30 s by default) is sized from the policy for an evacuation:
 * each job's checkpoint ({@code checkpoint.time} x {@code temperature.trend_factor}), PBS's requeue
 * ({@code scheduler.requeue_time}) and a JVM's start under load.  The hook's own time-out for
 * {@code cryo health} is just below it, so the hook ends its child rather than being killed with it running.
 */
public final class HealthHook {
    public static final String NAME = "cryo_health";
    /** Where the settings are written before qmgr imports them (qmgr reads the file; the server sends it to every MoM). */
    public static final Path DEFAULT_SETTINGS = Path.of("/etc/cryo/pbs-health-hook.json");
    /** A JVM's start and the adapter's PBS calls under load, on top of the policy's times. */
    private static final long MARGIN_SECONDS = 60;
    /** The hook's time-out for cryo health, before PBS's alarm. */
    private static final long CHILD_MARGIN_SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path script;
    private final int freq;
    private final int alarm;

    public HealthHook(Path script, int freq, int alarm) {
        if (freq < 1 || freq > 86_400) {
            throw new IllegalArgumentException("the hook's freq must be 1..86400 seconds, not " + freq);
        }
        if (alarm <= CHILD_MARGIN_SECONDS || alarm > 86_400) {
            throw new IllegalArgumentException("the hook's alarm must be " + (CHILD_MARGIN_SECONDS + 1)
                    + "..86400 seconds, not " + alarm);
        }
        this.script = script;
        this.freq = freq;
        this.alarm = alarm;
    }

    /** The hook as the policy sizes it: freq its poll.interval, alarm what an evacuation needs. */
    public static HealthHook forPolicy(Path script, HealthPolicy policy) {
        return new HealthHook(script, (int) Math.max(1, policy.pollInterval().toSeconds()), alarmFor(policy));
    }

    static int alarmFor(HealthPolicy policy) {
        double checkpoint = policy.checkpointTime().toMillis() / 1000.0 * policy.trendFactor();
        long seconds = (long) Math.ceil(checkpoint) + policy.requeueTime().toSeconds() + MARGIN_SECONDS;
        return (int) Math.min(86_400, seconds);
    }

    public int freq() {
        return freq;
    }

    public int alarm() {
        return alarm;
    }

    /** The seconds the hook gives cryo health (its {@code timeout} setting). */
    public int childTimeout() {
        return (int) (alarm - CHILD_MARGIN_SECONDS);
    }

    /** The qmgr commands, in order ({@code create} only when the hook is not there yet). */
    public List<String> qmgrCommands(boolean exists, Path settings) {
        List<String> commands = new ArrayList<>();
        if (!exists) {
            commands.add("create hook " + NAME);
        }
        commands.add("set hook " + NAME + " event = exechost_periodic");
        commands.add("set hook " + NAME + " freq = " + freq);
        commands.add("set hook " + NAME + " alarm = " + alarm);
        commands.add("set hook " + NAME + " enabled = true");
        commands.add("import hook " + NAME + " application/x-python default " + script);
        commands.add("import hook " + NAME + " application/x-config default " + settings);
        return commands;
    }

    /**
     * The hook's settings file (the keys cryo_health.py knows; it refuses any other): the launcher,
     * the policy, the state file, the sysfs root, a dry run, and variables for cryo's environment.
     */
    public String settingsJson(Path cryo, Path config, Path root, Path state, boolean dryRun,
            Map<String, String> environment) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("cryo", cryo.toString());
        settings.put("config", config == null ? "" : config.toString());
        settings.put("state", state.toString());
        settings.put("root", root.toString());
        settings.put("timeout", childTimeout());
        settings.put("dry_run", dryRun);
        settings.put("environment", new TreeMap<>(environment));
        try {
            return JSON.writeValueAsString(settings) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the server has the hook already ({@code qmgr -c 'list hook NAME'} succeeds). */
    public static boolean installed(PbsCommands commands) throws SchedulerException {
        return commands.run("qmgr", "-c", "list hook " + NAME).status() == 0;
    }
}
