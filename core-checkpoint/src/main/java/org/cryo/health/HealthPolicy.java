package org.cryo.health;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryo.api.SafeText;

/**
 * The site's health policy: a properties file ({@code /etc/cryo/health.conf}; every setting and
 * its default in docs/HEALTH.md and {@link #DEFAULTS}) read over the defaults.  An unknown setting
 * or a bad value is refused by name, so a typo never silently turns a limit off.
 *
 * <p>Counters: how much each one rose within its window ({@code memory.corrected.window = 1h}),
 * against {@code .warn}, {@code .evacuate} and {@code .fail} (0: off).  Temperatures: the sensor's
 * own limits (within {@code temperature.warn_margin} of crit or at max: warn; within
 * {@code temperature.evacuate_margin} of crit: evacuate; at crit: fail, the kernel powers off at a
 * critical trip point) and the trend (reaching crit within {@code checkpoint.time} x
 * {@code temperature.trend_factor} + {@code scheduler.requeue_time}: evacuate; within twice that:
 * warn).  Hysteresis: the level goes down only after {@code hysteresis.polls} polls in a row at
 * a lower level.
 */
public final class HealthPolicy {
    /** Every setting with its default, in the order docs/HEALTH.md lists them. */
    public static final Map<String, String> DEFAULTS = defaultSettings();

    private final Map<String, String> settings;
    private final Map<Signal, CounterRule> counters = new EnumMap<>(Signal.class);

    /** A counter's limits: its rise within the window at which each level starts (0: never). */
    public record CounterRule(Duration window, long warn, long evacuate, long fail) {
        public Level levelFor(double increase) {
            if (fail > 0 && increase >= fail) {
                return Level.FAIL;
            }
            if (evacuate > 0 && increase >= evacuate) {
                return Level.EVACUATE;
            }
            if (warn > 0 && increase >= warn) {
                return Level.WARN;
            }
            return Level.OK;
        }

        public long limitOf(Level level) {
            return switch (level) {
                case FAIL -> fail;
                case EVACUATE -> evacuate;
                case WARN -> warn;
                default -> 0;
            };
        }
    }

    private HealthPolicy(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
        for (Signal signal : Signal.values()) {
            if (signal.counter()) {
                counters.put(signal, new CounterRule(duration(signal.key() + ".window"), count(signal.key() + ".warn"),
                        count(signal.key() + ".evacuate"), count(signal.key() + ".fail")));
            }
        }
        // validate the rest now, not at the first poll that needs them
        duration("poll.interval");
        duration("checkpoint.time");
        duration("scheduler.requeue_time");
        duration("temperature.trend_window");
        number("temperature.warn_margin");
        number("temperature.evacuate_margin");
        number("temperature.trend_factor");
        bool("temperature.fail_at_crit");
        bool("fan.warn_when_stopped");
        bool("dry_run");
        count("hysteresis.polls");
        monitors();
    }

    public static HealthPolicy defaults() {
        return new HealthPolicy(DEFAULTS);
    }

    /** The policy in {@code file} over the defaults; a missing file is the defaults. */
    public static HealthPolicy load(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return defaults();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(name -> overrides.put(name, properties.getProperty(name)));
        return with(overrides, file.toString());
    }

    /** The defaults with {@code overrides} (for tests and the agent's command line). */
    public static HealthPolicy with(Map<String, String> overrides, String source) {
        Map<String, String> settings = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            String name = entry.getKey().strip();
            if (!DEFAULTS.containsKey(name)) {
                throw new IllegalArgumentException(source + ": unknown setting '" + SafeText.escape(name) + "'");
            }
            settings.put(name, stripComment(entry.getValue()));
        }
        try {
            return new HealthPolicy(settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** A copy with some settings changed. */
    public HealthPolicy with(Map<String, String> overrides) {
        Map<String, String> changed = new LinkedHashMap<>(settings);
        changed.putAll(overrides);
        return with(changed, "policy");
    }

    private static String stripComment(String value) {
        int hash = value.indexOf('#');
        return (hash >= 0 ? value.substring(0, hash) : value).strip();
    }

    public CounterRule counter(Signal signal) {
        return counters.get(signal);
    }

    public Duration pollInterval() {
        return duration("poll.interval");
    }

    /** How long the node's jobs take to checkpoint, as the site estimates it (the agent may know better). */
    public Duration checkpointTime() {
        return duration("checkpoint.time");
    }

    public Duration requeueTime() {
        return duration("scheduler.requeue_time");
    }

    public Duration trendWindow() {
        return duration("temperature.trend_window");
    }

    public double warnMargin() {
        return number("temperature.warn_margin");
    }

    public double evacuateMargin() {
        return number("temperature.evacuate_margin");
    }

    public double trendFactor() {
        return number("temperature.trend_factor");
    }

    public boolean failAtCrit() {
        return bool("temperature.fail_at_crit");
    }

    public boolean warnWhenFanStopped() {
        return bool("fan.warn_when_stopped");
    }

    public boolean dryRun() {
        return bool("dry_run");
    }

    public int hysteresisPolls() {
        return (int) Math.max(1, count("hysteresis.polls"));
    }

    public String nvidiaSmi() {
        return settings.get("nvidia_smi");
    }

    public String sqlite3() {
        return settings.get("sqlite3");
    }

    /** The monitors to run, by name. */
    public List<String> monitors() {
        List<String> names = new ArrayList<>();
        for (String name : settings.get("monitors").split("[,\\s]+")) {
            if (name.isEmpty()) {
                continue;
            }
            if (!List.of("edac", "aer", "infiniband", "ethernet", "hwmon", "thermal", "rasdaemon", "nvidia-smi", "nvidia-xid")
                    .contains(name)) {
                throw new IllegalArgumentException("monitors: unknown monitor '" + SafeText.escape(name) + "'");
            }
            names.add(name);
        }
        return names;
    }

    /** The longest window any rule looks back over: how long samples are kept. */
    public Duration retention() {
        Duration longest = trendWindow();
        for (CounterRule rule : counters.values()) {
            if (rule.window().compareTo(longest) > 0) {
                longest = rule.window();
            }
        }
        return longest;
    }

    /** Every setting as in force, for --explain. */
    public Map<String, String> settings() {
        return new java.util.TreeMap<>(settings);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|min|h|d)");

    /** "30s", "10m", "1h", "1d", "500ms". */
    public static Duration parseDuration(String name, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(name + ": not a duration (500ms, 30s, 10m, 1h, 1d): '"
                    + SafeText.escape(text) + "'");
        }
        long value = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(value);
            case "s" -> Duration.ofSeconds(value);
            case "h" -> Duration.ofHours(value);
            case "d" -> Duration.ofDays(value);
            default -> Duration.ofMinutes(value);
        };
    }

    /** "1h" for messages. */
    public static String format(Duration duration) {
        long s = duration.toSeconds();
        if (s == 0) {
            return duration.toMillis() + "ms";
        }
        if (s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }

    private Duration duration(String name) {
        Duration duration = parseDuration(name, settings.get(name));
        if (duration.isZero()) {
            throw new IllegalArgumentException(name + ": must not be 0");
        }
        return duration;
    }

    private long count(String name) {
        String text = settings.get(name);
        if (!text.matches("\\d{1,12}")) {
            throw new IllegalArgumentException(name + ": not a count: '" + SafeText.escape(text) + "'");
        }
        return Long.parseLong(text);
    }

    private double number(String name) {
        String text = settings.get(name);
        if (!text.matches("\\d{1,6}(\\.\\d{1,6})?")) {
            throw new IllegalArgumentException(name + ": not a number: '" + SafeText.escape(text) + "'");
        }
        return Double.parseDouble(text);
    }

    private boolean bool(String name) {
        String text = settings.get(name).toLowerCase(Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException(name + ": not true or false: '" + SafeText.escape(text) + "'");
        }
        return text.equals("true");
    }

    private static Map<String, String> defaultSettings() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("monitors", "edac, aer, infiniband, ethernet, hwmon, thermal, rasdaemon, nvidia-smi, nvidia-xid");
        d.put("poll.interval", "30s");
        d.put("dry_run", "false");
        d.put("hysteresis.polls", "3");
        counter(d, Signal.MEMORY_CORRECTED, "1h", 20, 200, 0);
        counter(d, Signal.MEMORY_UNCORRECTED, "1d", 0, 1, 0);
        counter(d, Signal.PCIE_CORRECTED, "1h", 100, 0, 0);
        counter(d, Signal.PCIE_UNCORRECTED, "1d", 0, 1, 0);
        counter(d, Signal.INTERCONNECT_ERRORS, "10m", 10, 100, 0);
        counter(d, Signal.INTERCONNECT_LINK_DOWNED, "1h", 1, 5, 0);
        counter(d, Signal.ETHERNET_ERRORS, "10m", 100, 0, 0);
        counter(d, Signal.GPU_CORRECTED, "1h", 100, 0, 0);
        counter(d, Signal.GPU_UNCORRECTED, "1d", 0, 1, 0);
        counter(d, Signal.GPU_XID_WARN, "1h", 1, 0, 0);
        counter(d, Signal.GPU_XID_EVACUATE, "1h", 0, 1, 0);
        counter(d, Signal.GPU_XID_FAIL, "1h", 0, 0, 1);
        d.put("temperature.warn_margin", "10");
        d.put("temperature.evacuate_margin", "3");
        d.put("temperature.fail_at_crit", "true");
        d.put("temperature.trend_window", "5m");
        d.put("temperature.trend_factor", "2");
        d.put("checkpoint.time", "60s");
        d.put("scheduler.requeue_time", "30s");
        d.put("fan.warn_when_stopped", "true");
        d.put("nvidia_smi", "nvidia-smi");
        d.put("sqlite3", "sqlite3");
        return java.util.Collections.unmodifiableMap(d);
    }

    private static void counter(Map<String, String> d, Signal signal, String window, long warn, long evacuate, long fail) {
        d.put(signal.key() + ".window", window);
        d.put(signal.key() + ".warn", Long.toString(warn));
        d.put(signal.key() + ".evacuate", Long.toString(evacuate));
        d.put(signal.key() + ".fail", Long.toString(fail));
    }
}
