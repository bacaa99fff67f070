package org.cryo.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The effective settings: {@code /etc/cryo/cryo.conf}, then the user's
 * {@code $XDG_CONFIG_HOME/cryo/cryo.conf} (default {@code ~/.config/cryo/cryo.conf}), then the
 * environment variables, each overriding the one before (docs/CONFIG.md).  The code that reads a
 * setting keeps reading its environment variable from a map: {@link #environment()} is the
 * process's environment with every setting a file gave added under its variable, so every
 * command sees one view, and a job needs no variable set.
 *
 * <p>A file is trusted only if it cannot have been written by someone else: the system file is
 * root's and not writable by group or others; the user file is the caller's own (and is not read
 * at all by a process whose real and effective uid differ, nor when its owner is not the caller,
 * as under {@code sudo} keeping HOME), so a user's file only ever steers that user's own actions.
 * A file that fails the check is ignored with a notice.
 */
public final class CryoConfig {
    public static final Path SYSTEM_FILE = Path.of("/etc/cryo/cryo.conf");
    /** Names the system-wide file instead of /etc/cryo/cryo.conf (a second installation, the tests). */
    public static final String FILE_VARIABLE = "CRYO_CONFIG";
    static final long MAX_FILE_BYTES = 64 * 1024;
    static final int MAX_VALUE_LENGTH = 4096;

    /** A setting's effective value and where it came from ("default", a file, or "environment VAR"). */
    public record Setting(ConfigKey key, Optional<String> value, String source) {
    }

    private final Map<String, String> environment;
    private final Map<String, Setting> settings;
    private final List<String> notices;

    private static volatile CryoConfig current;

    private CryoConfig(Map<String, String> environment, Map<String, Setting> settings, List<String> notices) {
        this.environment = environment;
        this.settings = settings;
        this.notices = notices;
    }

    /** The settings of this process (its environment, its uid), read once. */
    public static CryoConfig current() {
        CryoConfig config = current;
        if (config == null) {
            config = load(System.getenv(), Identity.ofThisProcess());
            current = config;
        }
        return config;
    }

    /** {@link #environment()} of {@link #current()}: what commands pass where they passed CryoConfig.effectiveEnvironment(). */
    public static Map<String, String> effectiveEnvironment() {
        return current().environment();
    }

    /** The settings for a process with {@code env} and {@code identity}. */
    public static CryoConfig load(Map<String, String> env, Identity identity) {
        List<String> notices = new ArrayList<>();
        Map<String, Setting> settings = new LinkedHashMap<>();
        for (ConfigKey key : ConfigKeys.ALL) {
            settings.put(key.key(), new Setting(key, Optional.empty(), "default"));
        }
        Path system = systemFile(env);
        if (Files.exists(system, LinkOption.NOFOLLOW_LINKS)) {
            Optional<String> distrust = FileTrust.systemFileProblem(system);
            if (distrust.isPresent()) {
                notices.add("ignoring " + system + ": " + distrust.get());
            } else {
                apply(system, settings, notices);
            }
        }
        Optional<Path> user = userFile(env, identity);
        if (user.isPresent() && Files.exists(user.get(), LinkOption.NOFOLLOW_LINKS)) {
            Optional<String> distrust = FileTrust.userFileProblem(user.get(), identity);
            if (distrust.isPresent()) {
                notices.add("ignoring " + user.get() + ": " + distrust.get());
            } else {
                apply(user.get(), settings, notices);
            }
        }
        for (ConfigKey key : ConfigKeys.ALL) {
            String value = env.get(key.variable());
            if (value != null && !value.isBlank()) {
                settings.put(key.key(), new Setting(key, Optional.of(value.strip()), "environment"));
            }
        }
        return new CryoConfig(withSettings(env, settings), Collections.unmodifiableMap(settings), List.copyOf(notices));
    }

    /** The system-wide file: $CRYO_CONFIG, else /etc/cryo/cryo.conf. */
    public static Path systemFile(Map<String, String> env) {
        String named = env.get(FILE_VARIABLE);
        return named != null && !named.isBlank() ? Path.of(named.strip()) : SYSTEM_FILE;
    }

    /** The user's file, if this process may read one (see the class comment). */
    public static Optional<Path> userFile(Map<String, String> env, Identity identity) {
        if (!identity.unchanged()) {
            return Optional.empty();
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return Optional.of(Path.of(xdg, "cryo", "cryo.conf"));
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        return home == null || !home.startsWith("/") ? Optional.empty()
                : Optional.of(Path.of(home, ".config", "cryo", "cryo.conf"));
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Setting setting(ConfigKey key) {
        return settings.get(key.key());
    }

    public Optional<String> value(ConfigKey key) {
        return setting(key).value();
    }

    public List<Setting> settings() {
        return List.copyOf(settings.values());
    }

    /** Files ignored and lines refused, one line each, for the user to see once. */
    public List<String> notices() {
        return notices;
    }

    private static void apply(Path file, Map<String, Setting> settings, List<String> notices) {
        List<String> lines;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                notices.add("ignoring " + file + ": larger than " + MAX_FILE_BYTES + " bytes");
                return;
            }
            lines = List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n", -1));
        } catch (IOException e) {
            notices.add("ignoring " + file + ": " + e.getMessage());
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            String where = file + ":" + (i + 1);
            ConfigLine line;
            try {
                line = ConfigLine.parse(lines.get(i)).orElse(null);
            } catch (IllegalArgumentException e) {
                notices.add(where + ": " + e.getMessage() + " (line ignored)");
                continue;
            }
            if (line == null) {
                continue;
            }
            Optional<ConfigKey> key = ConfigKeys.named(line.key());
            if (key.isEmpty()) {
                notices.add(where + ": unknown key '" + line.key() + "' (line ignored; see docs/CONFIG.md)");
                continue;
            }
            // "key =" sets the default again (over the system file's value)
            Optional<String> value = line.value().isEmpty() ? Optional.empty() : Optional.of(line.value());
            settings.put(line.key(), new Setting(key.get(), value, where));
        }
    }

    private static Map<String, String> withSettings(Map<String, String> env, Map<String, Setting> settings) {
        Map<String, String> effective = new HashMap<>(env);
        for (Setting setting : settings.values()) {
            setting.value().ifPresent(value -> effective.put(setting.key().variable(), value));
        }
        return Collections.unmodifiableMap(effective);
    }

    /** Who this process is, as far as trusting a file goes. */
    public record Identity(long realUid, long effectiveUid) {
        boolean unchanged() {
            return realUid == effectiveUid;
        }

        public static Identity ofThisProcess() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("Uid:")) {
                        String[] ids = line.substring(4).strip().split("\\s+");
                        return new Identity(Long.parseLong(ids[0]), Long.parseLong(ids[1]));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through: an identity no file belongs to
            }
            return new Identity(-1, -2);
        }
    }

    /** The ownership and mode checks. */
    static final class FileTrust {
        private FileTrust() {
        }

        static Optional<String> systemFileProblem(Path file) {
            return problem(file, 0, "root");
        }

        static Optional<String> userFileProblem(Path file, Identity identity) {
            return problem(file, identity.effectiveUid(), "uid " + identity.effectiveUid());
        }

        private static Optional<String> problem(Path file, long owner, String ownerName) {
            try {
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.of("not a regular file");
                }
                long uid = ((Number) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
                if (uid != owner) {
                    return Optional.of("owned by uid " + uid + ", not " + ownerName);
                }
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
                if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                    return Optional.of("writable by group or others");
                }
                return Optional.empty();
            } catch (IOException | UnsupportedOperationException | ClassCastException e) {
                return Optional.of("cannot check its owner: " + e.getMessage());
            }
        }
    }
}
