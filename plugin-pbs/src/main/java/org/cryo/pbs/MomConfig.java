package org.cryo.pbs;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cryo.api.SafeText;
import org.cryo.scheduler.SchedulerException;

/**
 * The MoM's configuration lines that make PBS call Cryo ({@code $PBS_HOME/mom_priv/config}, re-read
 * on SIGHUP), and the server settings for checkpoint preemption.  OpenPBS: {@code $action checkpoint},
 * {@code checkpoint_abort} and {@code restart} running bin/cryo-pbs-action; Torque: {@code
 * $checkpoint_script}, {@code $restart_script} and {@code $checkpoint_run_exe}.  Installing is
 * idempotent: a line already there is left alone, another line for the same setting is replaced,
 * a missing one is added; each change is said.
 */
public final class MomConfig {
    /** The MoM's time-out for each action, seconds: above a large job's checkpoint or restore. */
    public static final int DEFAULT_TIMEOUT = 600;

    private final Path configFile;
    private final List<String> wanted;

    MomConfig(Path configFile, List<String> wanted) {
        this.configFile = configFile;
        this.wanted = List.copyOf(wanted);
    }

    /** The lines for OpenPBS, calling {@code action} (bin/cryo-pbs-action of this installation). */
    public static List<String> openPbsLines(Path action, int timeout) {
        List<String> lines = new ArrayList<>();
        for (String event : List.of("checkpoint", "checkpoint_abort", "restart")) {
            lines.add("$action " + event + " " + timeout + " !" + action + " " + event
                    + " %jobid %sid %taskid %path %uid %gid %login %owner");
        }
        return lines;
    }

    /** The lines for Torque: its checkpoint and restart scripts, and cr_run as the checkpointable starter. */
    public static List<String> torqueLines(Path cryoHome) {
        return List.of("$checkpoint_script " + cryoHome.resolve("plugin-pbs/bin/cryo-torque-checkpoint"),
                "$restart_script " + cryoHome.resolve("plugin-pbs/bin/cryo-torque-restart"),
                "$checkpoint_run_exe " + cryoHome.resolve("bin/cr_run"));
    }

    /** The server and scheduler settings (qmgr commands) for checkpoint preemption and the restart's settling. */
    public static List<String> serverSettings(String node) {
        return List.of("set sched preempt_order = C",
                "set server operators += root@" + node);
    }

    public static MomConfig of(Path configFile, List<String> wanted) {
        return new MomConfig(configFile, wanted);
    }

    /** The setting a line sets: "$action checkpoint", "$checkpoint_script", ... */
    static String key(String line) {
        String[] words = line.strip().split("\\s+");
        if (words.length >= 2 && "$action".equals(words[0])) {
            return words[0] + " " + words[1];
        }
        return words[0];
    }

    /** What installing would change, one line each ("added ...", "replaced ... by ..."); empty: all in place. */
    public List<String> changes() throws SchedulerException {
        return plan(current()).changes;
    }

    /** Writes the lines (atomically, mode 0644) if anything changes; returns the changes. */
    public List<String> apply() throws SchedulerException {
        List<String> current = current();
        Plan plan = plan(current);
        if (plan.changes.isEmpty()) {
            return plan.changes;
        }
        try {
            Path dir = configFile.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".config.cryo", ".tmp");
            Files.write(temp, plan.lines);
            Files.setPosixFilePermissions(temp, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
            try {
                Files.move(temp, configFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, configFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SchedulerException("cannot write " + configFile + ": " + e.getMessage(), e);
        }
        return plan.changes;
    }

    private record Plan(List<String> lines, List<String> changes) {
    }

    private Plan plan(List<String> current) {
        List<String> lines = new ArrayList<>(current);
        List<String> changes = new ArrayList<>();
        for (String line : wanted) {
            int at = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).strip().startsWith("#") && key(lines.get(i)).equals(key(line))) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                lines.add(line);
                changes.add("added to " + configFile + ": " + line);
            } else if (!lines.get(at).strip().equals(line)) {
                changes.add("replaced in " + configFile + ": '" + SafeText.escape(lines.get(at).strip()) + "' by '" + line + "'");
                lines.set(at, line);
            }
        }
        return new Plan(lines, changes);
    }

    private List<String> current() throws SchedulerException {
        try {
            return Files.exists(configFile) ? Files.readAllLines(configFile) : List.of();
        } catch (IOException e) {
            throw new SchedulerException("cannot read " + configFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Why the MoM would refuse to run {@code script}, if it would: it must be owned by root, its
     * group id at most 10, executable by its owner and not writable by others
     * ({@code do_mom_action_script()}: "cannot be executed due to permissions").
     */
    public static java.util.Optional<String> refusal(Path script) {
        try {
            Map<String, Object> a = Files.readAttributes(script, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) a.get("uid");
            int gid = (Integer) a.get("gid");
            int mode = (Integer) a.get("mode");
            if (uid != 0 || gid > 10 || (mode & 0100) == 0 || (mode & 0002) != 0) {
                return java.util.Optional.of(script + " is uid " + uid + " gid " + gid + " mode "
                        + Integer.toOctalString(mode & 07777) + ": the MoM runs only a root-owned (gid <= 10),"
                        + " owner-executable, not world-writable action script");
            }
            return java.util.Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return java.util.Optional.of("cannot read " + script + ": " + e.getMessage());
        }
    }

    /** SIGHUP to the MoM whose pid is in {@code $PBS_HOME/mom_priv/mom.lock}; what happened, in words. */
    public static String reload(Path pbsHome) throws SchedulerException {
        Path lock = pbsHome.resolve("mom_priv/mom.lock");
        String pid;
        try {
            pid = Files.readString(lock).strip();
        } catch (IOException e) {
            return "no MoM runs here (" + lock + " cannot be read): it reads the lines when it starts";
        }
        if (!pid.matches("\\d{1,9}") || !Files.exists(Path.of("/proc", pid))) {
            return "the MoM of " + lock + " (pid '" + SafeText.escape(pid) + "') does not run: it reads the lines when it starts";
        }
        try {
            Process kill = new ProcessBuilder("kill", "-HUP", pid).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes()).strip();
            if (kill.waitFor() != 0) {
                throw new SchedulerException("cannot HUP the MoM (pid " + pid + "): " + SafeText.escape(out));
            }
        } catch (IOException e) {
            throw new SchedulerException("cannot HUP the MoM (pid " + pid + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
        return "sent SIGHUP to the MoM (pid " + pid + "): it re-reads its config";
    }

    /**
     * Where this node's MoM keeps mom_priv (its config and mom.lock): PBS_MOM_HOME (the variable,
     * else pbs.conf's: a second MoM on a host has its own), else {@link #pbsHome}.
     */
    public static Path momHome(Map<String, String> environment) {
        String home = environment.get("PBS_MOM_HOME");
        if (home == null || home.isBlank()) {
            home = PbsCommands.PbsConf.read(Path.of(environment.getOrDefault("PBS_CONF_FILE", "/etc/pbs.conf")))
                    .get("PBS_MOM_HOME");
        }
        return home != null && home.startsWith("/") ? Path.of(home.strip()) : pbsHome(environment);
    }

    /** PBS_HOME: the variable, else pbs.conf's, else /var/spool/pbs. */
    public static Path pbsHome(Map<String, String> environment) {
        String home = environment.get("PBS_HOME");
        if (home == null || home.isBlank()) {
            home = PbsCommands.PbsConf.read(Path.of(environment.getOrDefault("PBS_CONF_FILE", "/etc/pbs.conf")))
                    .get("PBS_HOME");
        }
        return Path.of(home == null || !home.startsWith("/") ? "/var/spool/pbs" : home.strip());
    }
}
